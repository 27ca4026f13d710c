export * from './demux';
export * from './recipe';
export * from './workspaceArchive';
export * from './runRecipe';
export * from './lostRuns';
export * from './outputArchive';
export * from './runOutputs';
