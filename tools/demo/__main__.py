import sys

from tools.demo.run import main

if __name__ == "__main__":
    sys.exit(main())
