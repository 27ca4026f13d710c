"""A recipe: Container Exec runs scripts like this one in a container of an execution configuration."""
import os
import platform
import sys

print(f"Hello from Python {sys.version.split()[0]} on {platform.machine()}")
for i in range(3):
    print(f"step {i + 1}/3")
# what the recipe writes to its output folder comes back into .container-exec/runs/<run-id>/out
out = os.environ.get("CONTAINER_EXEC_OUTPUT", "out")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "result.txt"), "w") as f:
    f.write(f"computed on {platform.node()}\n")
print(f"wrote {out}/result.txt")
