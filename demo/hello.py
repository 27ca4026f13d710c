"""A recipe: Container Exec runs scripts like this one in a container of an execution configuration."""
import platform
import sys

print(f"Hello from Python {sys.version.split()[0]} on {platform.machine()}")
