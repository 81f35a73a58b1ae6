from sync_order_list.cli import main

main()
