// The pacer is pure logic in core (the output worker paces there too); re-exported for the UI layer.
export * from './core/run/terminalPacer';
