"""Runs crmsql's REPL on a pseudo-terminal for tests/bench/startup.sh."""

import os
import pty
import select
import sys


def drive(command, on_output, timeout, silence):
    """Starts `command` on a pseudo-terminal and passes each piece of its output to
    `on_output(piece, everything_so_far, write)`, where `write` sends bytes to its input. Replies to
    the line editor's cursor position queries as a terminal would. Exits with the message
    `silence` when the program prints nothing for `timeout` seconds. Returns the exit status and
    the whole output."""
    os.environ["TERM"] = "xterm"
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            os.kill(pid, 9)
            sys.exit(silence)
        try:
            piece = os.read(fd, 65536)
        except OSError:
            break
        if not piece:
            break
        seen += piece
        if b"\x1b[6n" in piece:
            os.write(fd, b"\x1b[1;1R")
        on_output(piece, seen, lambda data: os.write(fd, data))
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return status, seen
