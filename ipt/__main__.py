from ipt.cli import main

main()
