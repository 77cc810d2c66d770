from streamfer.cli import main

raise SystemExit(main())
