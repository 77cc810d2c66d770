"""``python -m streamfer``: a Ctrl-C even while the CLI module loads is one line and 130."""

import sys

try:
    from streamfer.cli import main
except KeyboardInterrupt:
    print("streamfer: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
