"""An uncaught KeyboardInterrupt: traceback on stderr and death by SIGINT."""
print("about to interrupt")


def handler():
    raise KeyboardInterrupt


handler()
