"""Runs one command on l2tpns's telnet CLI (libcli) and prints its output.

Usage: cli.py HOST PORT COMMAND
libcli speaks telnet: the option negotiation bytes are dropped, the output
is what follows the echoed command up to the next prompt.
"""
import re
import socket
import sys
import time

IAC = 255


def strip_telnet(data):
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == IAC and i + 1 < len(data):
            cmd = data[i + 1]
            if cmd in (251, 252, 253, 254):  # WILL WONT DO DONT + option
                i += 3
                continue
            if cmd == 250:  # SB ... IAC SE
                end = data.find(bytes([IAC, 240]), i)
                i = len(data) if end < 0 else end + 2
                continue
            i += 2
            continue
        out.append(b)
        i += 1
    return bytes(out)


PROMPT = re.compile(rb"[\r\n][^\r\n]*[>#] ?$")


def read_until_prompt(sock, deadline):
    buf = b""
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        text = strip_telnet(buf)
        if PROMPT.search(text):
            return text
        if text.rstrip().endswith(b"--More--"):
            sock.sendall(b" ")
    return strip_telnet(buf)


def main():
    host, port, command = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    deadline = time.time() + 10
    sock = socket.create_connection((host, port), timeout=5)
    read_until_prompt(sock, deadline)
    sock.sendall(b"terminal length 0\r\n")
    read_until_prompt(sock, deadline)
    sock.sendall(command.encode() + b"\r\n")
    out = read_until_prompt(sock, deadline)
    sock.sendall(b"exit\r\n")
    sock.close()
    lines = out.decode(errors="replace").replace("\r", "").split("\n")
    # Drop the echoed command and the trailing prompt.
    if lines and command in lines[0]:
        lines = lines[1:]
    if lines and re.search(r"[>#] ?$", lines[-1]):
        lines = lines[:-1]
    sys.stdout.write("\n".join(lines).rstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
