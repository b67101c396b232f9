"""A legacy Python application's logging, as the multiline test needs it.

Logs COUNT exceptions with their tracebacks through the `logging` module
(logger.exception), cycling through a few exception classes, some raised
while handling another (a chained traceback), with INFO lines between them.
Writes in bursts with short pauses, so a follower sees records arrive across
reads. Prints, on stdout, how many exceptions of each class it logged and
how many INFO records: the truth the test compares the adapter with.

Usage: python3 python_app.py LOGFILE COUNT
"""

import collections
import logging
import sys
import time


class PaymentDeclined(Exception):
    """An application exception, outside the rule file's bounded set."""


def fail(index):
    kind = index % 5
    if kind == 0:
        int("not a number %d" % index)  # ValueError
    elif kind == 1:
        {}["missing-%d" % index]  # KeyError
    elif kind == 2:
        return index / 0  # ZeroDivisionError
    elif kind == 3:
        try:
            [][index]
        except IndexError as cause:  # chained: the last class is the one logged
            raise TimeoutError("upstream timed out") from cause
    raise PaymentDeclined("card %d declined" % index)


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("shop.checkout")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logged = collections.Counter()
    for index in range(count):
        logger.info("order %d received", index)
        logged["INFO"] += 1
        try:
            fail(index)
        except Exception as error:  # pylint: disable=broad-except
            logger.exception("order %d failed", index)
            logged[type(error).__name__] += 1
        if index % 25 == 24:
            time.sleep(0.05)
    for name, number in sorted(logged.items()):
        print(name, number)


if __name__ == "__main__":
    main()
