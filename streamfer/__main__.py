"""``python -m streamfer``. ``main`` takes SIGINT, SIGTERM and SIGHUP at its first statement;
a Ctrl-C even before that, while the CLI module loads, is one line and 130 too (where the
parent left SIGINT at its default; an ignored one cannot be caught before ``main`` runs)."""

import sys

try:
    from streamfer.cli import main
except KeyboardInterrupt:
    print("streamfer: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
