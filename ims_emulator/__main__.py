from ims_emulator.cli import main

raise SystemExit(main())
