from streamfer.entry import main

raise SystemExit(main())
