from tefu_registry.cli import main

main()
