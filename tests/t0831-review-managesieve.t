#!/usr/bin/env python3
# Review of lib/managesieve.c against hostile servers (a fake one in a thread):
# a greeting line that never ends must be refused once over the line limit, not
# buffered whole until the 60 s timeout; a BYE greeting, a literal over the limit,
# a literal cut short and a NUL byte each fail with their class, never a crash.
import os, socket, sys, tempfile, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

PROBE = os.path.join(t.BUILD, 'tests', 'helpers', 'sieve-probe')
TMP = tempfile.mkdtemp(prefix='m2c-rvms.')
pw = os.path.join(TMP, 'pw')
with open(pw, 'w') as f:
    f.write('secret\n')
script = os.path.join(TMP, 's.sieve')
with open(script, 'w') as f:
    f.write('keep;\n')

CAPS = b'"IMPLEMENTATION" "fake"\r\n"SASL" "PLAIN"\r\n"SIEVE" "fileinto"\r\n'


def serve(behaviour):
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    sent = {'bytes': 0}

    def run():
        c, _ = srv.accept()
        try:
            behaviour(c, sent)
        except OSError:
            pass
        finally:
            time.sleep(0.2)
            c.close()
            srv.close()
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return srv.getsockname()[1], sent, th


def endless(c, sent):
    chunk = b'x' * 65536
    for _ in range(1024):          # 64 MiB, no CRLF
        c.sendall(chunk)
        sent['bytes'] += len(chunk)
    time.sleep(30)


def bye(c, sent):
    c.sendall(b'BYE "go away"\r\n')


def big_literal(c, sent):
    c.sendall(CAPS + b'OK {99999999999999999999999}\r\n')
    time.sleep(5)


def short_literal(c, sent):
    c.sendall(CAPS + b'OK {100}\r\nabc')


def nul(c, sent):
    c.sendall(CAPS[:10] + b'\0' + CAPS[10:] + b'OK\r\n')


def auth_then_literal_error(c, sent):
    c.sendall(CAPS + b'OK\r\n')
    c.recv(4096)
    c.sendall(b'NO {4}\r\n"\\{}\r\n')


for name, behaviour, want in [('endless line', endless, 'PROTOCOL'),
                              ('BYE greeting', bye, 'NETWORK'),
                              ('literal over the limit', big_literal, 'PROTOCOL'),
                              ('literal cut short', short_literal, 'NETWORK'),
                              ('NUL byte', nul, 'PROTOCOL'),
                              ('NO with a hostile literal', auth_then_literal_error, 'AUTH')]:
    port, sent, th = serve(behaviour)
    start = time.time()
    p = t.run([PROBE, '--port', str(port), '--admin', 'cyrus', '--password-file', pw,
               '--user', 'alice', '--name', 'forward', script], timeout=50)
    took = time.time() - start
    err = p.stderr.decode(errors='replace')[:500]
    t.is_(p.returncode, 1, '%s: exit 1, no crash' % name, err)
    t.ok(('sieve-probe: %s:' % want) in err, '%s: classed %s' % (name, want), err)
    t.ok(took < 20, '%s: over in %.1f s, not at the read timeout' % (name, took))
    if behaviour is endless:
        t.ok(sent['bytes'] < 16 * 1024 * 1024, 'endless line: refused after %d bytes, '
             'not buffered whole' % sent['bytes'])
t.done()
