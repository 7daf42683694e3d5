"""benchapp: the small application file the benchmark workload copies to every host."""

import sys


def main() -> int:
    """Print a greeting; the benchmark only needs the file to exist with the right content."""
    print("benchapp is installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
