from opentto.cli import main

main()
