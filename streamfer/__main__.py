"""``python -m streamfer``. ``main`` takes SIGINT, SIGTERM and SIGHUP at its first statement;
a Ctrl-C even before that, while the CLI module loads, is one line and 130 too (where the
parent left SIGINT at its default; an ignored one cannot be caught before ``main`` runs),
also when the import wrapped it in another error."""

import sys

try:
    from streamfer.cli import main
except BaseException as error:
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, KeyboardInterrupt):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        raise
    print("streamfer: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
