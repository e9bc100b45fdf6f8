#!/usr/bin/env python3
"""A small Pushwire client in Python (standard library only), on SSE or long-polling.

Written from docs/PROTOCOL.md alone, as a third party would. It is also its own client-kit adapter
(docs/CONFORMANCE.md): commands arrive as JSON lines on stdin, events leave as JSON lines on stdout.
Usage: pushwire_client.py [sse|long-polling]   (the transport it offers; default long-polling)
"""
import http.client
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

IMPLEMENTS = ['CL1', 'CL2', 'CL3', 'CL4', 'CL5', 'CL7', 'CL8', 'CL9', 'EN3', 'EN9', 'HS13']
RELIABLE = {'m', 'subd', 'err', 'msg', 'snap', 'res'}

out_lock = threading.Lock()


def emit(event):
    with out_lock:
        sys.stdout.write(json.dumps(event) + '\n')
        sys.stdout.flush()


def compact(frame):
    """Compact JSON, as JSON.stringify writes it (EN3): no spaces, non-ASCII as is."""
    return json.dumps(frame, separators=(',', ':'), ensure_ascii=False)


class Entry:
    """A sequenced frame in the outbox until an ack covers it (CL2)."""

    def __init__(self, frame, ident):
        self.frame = frame
        self.ident = ident
        self.sent = False
        self.failed = None


class Client:
    def __init__(self, url, transport, command_queue_lock):
        self.url = url.rstrip('/')
        self.transport = transport
        self.lock = command_queue_lock
        self.sid = None
        self.secret = None
        self.rx = 0
        self.next_s = 1
        self.outbox = []
        self.positions = {}  # channel -> [epoch, seq]
        self.newest_sub = {}  # channel -> s of the newest sub
        self.resyncing = set()
        self.max = 65536
        self.hb = 25000
        self.token = None
        self.open = False
        self.stopped = False
        self.generation = 0
        # One sender thread: POSTs leave in order, at most one in flight (UP1).
        self.upstream = queue.Queue()
        threading.Thread(target=self.sender, daemon=True).start()
        self.closing = False

    # ---- commands (from the adapter thread) ----

    def subscribe(self, ch):
        with self.lock:
            self.positions.setdefault(ch, None)
            self.enqueue({'t': 'sub', 'ch': ch}, None)

    def submit(self, frame, ident):
        with self.lock:
            self.enqueue(frame, ident)

    def enqueue(self, frame, ident):
        frame = dict(frame)
        frame['s'] = self.next_s
        if len(compact(frame).encode('utf-8')) > self.max:
            if ident is not None:
                emit({'event': 'result', 'id': ident, 'ok': False, 'code': 'too_large'})
            return
        self.next_s += 1
        if frame['t'] == 'sub':
            self.newest_sub[frame['ch']] = frame['s']
        entry = Entry(frame, ident)
        self.outbox.append(entry)
        if self.open:
            self.flush([entry])

    def close(self):
        self.stopped = True
        if self.open:
            self.post([{'t': 'bye'}])

    # ---- the connection (its own thread) ----

    def run(self):
        delay = 0.05
        while not self.stopped:
            try:
                self.connect_once()
                delay = 0.05
            except Exception:  # noqa: BLE001 - any failure of the pipe means: resume on a new one
                pass
            with self.lock:
                self.open = False
            if self.stopped:
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.3)

    def connect_once(self):
        self.closing = False
        hello = {'t': 'hello', 'v': 1}
        with self.lock:
            if self.sid is not None:
                hello.update({'sid': self.sid, 'secret': self.secret, 'rx': self.rx})
            self.generation += 1
        if self.transport == 'sse':
            self.stream(hello)
        else:
            self.long_poll(hello)

    def stream(self, hello):
        """SSE (SE1-SE3): POST {path}/sse with the hello; the answer is an event stream, one frame per data line."""
        parts = urllib.parse.urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
        connection.connect()
        sock = connection.sock  # kept: the heartbeat deadline (CL5) becomes its read timeout
        try:
            connection.request('POST', parts.path + '/sse', body=compact(hello).encode('utf-8'),
                               headers={'Content-Type': 'text/plain;charset=UTF-8'})
            response = connection.getresponse()
            if response.status != 200:
                raise ConnectionError('sse answered %d' % response.status)
            self.token = response.headers.get('Pushwire-Connection')
            while not self.stopped and not self.closing:
                line = response.readline()
                if not line:
                    raise ConnectionError('the stream ended')
                line = line.decode('utf-8').rstrip('\r\n')
                if line.startswith('data:'):
                    text = line[5:]
                    self.frame(json.loads(text[1:] if text.startswith(' ') else text))
                # Silence past hb + grace (any bytes count, keepalive comments too) times the read out.
                sock.settimeout(self.hb * 1.5 / 1000.0)
        finally:
            connection.close()
            sock.close()

    def long_poll(self, hello):
        request = urllib.request.Request(self.url + '/poll', data=compact(hello).encode('utf-8'), method='POST',
                                         headers={'Content-Type': 'text/plain;charset=UTF-8'})
        last_batch = 0
        with urllib.request.urlopen(request, timeout=10) as response:
            self.token = response.headers.get('Pushwire-Connection')
            last_batch = self.batch(response.status, response.headers, response.read().decode('utf-8'), last_batch)
        last_frame = time.time()
        while not self.stopped:
            grace = self.hb * 1.5 / 1000.0
            poll = urllib.request.Request(self.url + '/poll', method='GET', headers={
                'Pushwire-Connection': self.token, 'Pushwire-Received': str(last_batch)})
            try:
                with urllib.request.urlopen(poll, timeout=grace) as response:
                    body = response.read().decode('utf-8')
                    before = last_batch
                    last_batch = self.batch(response.status, response.headers, body, last_batch)
                    if last_batch != before:
                        last_frame = time.time()
            except urllib.error.HTTPError as error:
                raise ConnectionError('poll answered %d' % error.code) from error
            if self.stopped or self.closing:
                return
            if time.time() - last_frame > grace:
                raise ConnectionError('heartbeat deadline passed (CL5)')

    def batch(self, status, headers, body, last_batch):
        if status != 200:
            return last_batch
        number = int(headers.get('Pushwire-Batch', '0'))
        if number <= last_batch:
            return last_batch  # a batch seen already (LP7)
        for line in body.split('\n'):
            if line:
                self.frame(json.loads(line))
        return number

    # ---- server frames ----

    def frame(self, frame):
        kind = frame.get('t')
        with self.lock:
            if kind in RELIABLE:
                self.rx += 1
            if kind == 'welcome':
                self.welcome(frame)
            elif kind == 'ack':
                self.acked(frame['s'])
            elif kind == 'err':
                self.failed(frame)
            elif kind == 'm':
                self.message(frame)
            elif kind == 'subd':
                self.subscribed(frame)
            elif kind == 'msg':
                emit({'event': 'direct', 'd': frame.get('d')})
            elif kind == 'ping':
                self.post([{'t': 'pong', 'n': self.rx}])
            elif kind == 'close':
                self.closed(frame)

    def welcome(self, frame):
        had_session = self.sid is not None
        self.max = frame.get('max', self.max)
        self.hb = frame.get('hb', self.hb)
        if frame.get('resumed'):
            self.rx = frame['rx']
            if frame.get('resync'):
                # CL4a: another node took the session over; it knows what we sent, not our channels.
                # Every channel is subscribed again from its position, after what is unacknowledged.
                self.resubscribe_all()
            resend = list(self.outbox)
        else:
            self.rx = 0
            if had_session:
                # CL4: sent and unacknowledged: outcome unknown; never resent silently.
                for entry in [e for e in self.outbox if e.sent]:
                    if entry.ident is not None:
                        emit({'event': 'result', 'id': entry.ident, 'ok': False, 'code': 'session_lost'})
                unsent = [e for e in self.outbox if not e.sent and e.frame['t'] != 'sub']
                self.outbox = []
                self.next_s = 1
                self.newest_sub = {}
                self.resubscribe_all()
                for entry in unsent:
                    frame_again = {k: v for k, v in entry.frame.items() if k != 's'}
                    self.enqueue_unlocked(frame_again, entry.ident)
            resend = list(self.outbox)
        self.sid = frame['sid']
        self.secret = frame['secret']
        self.open = True
        emit({'event': 'open', 'resumed': bool(frame.get('resumed')), 'transport': self.transport})
        self.flush(resend)

    def resubscribe_all(self):
        """A sub for every channel, from its position (a newer sub: the older one's subd is ignored, CL3d)."""
        self.resyncing = set()
        for ch, position in self.positions.items():
            sub = {'t': 'sub', 'ch': ch}
            if position is not None:
                sub['from'] = position
            self.enqueue_unlocked(sub, None)

    def enqueue_unlocked(self, frame, ident):
        frame = dict(frame)
        frame['s'] = self.next_s
        self.next_s += 1
        if frame['t'] == 'sub':
            self.newest_sub[frame['ch']] = frame['s']
        self.outbox.append(Entry(frame, ident))

    def acked(self, s):
        remaining = []
        for entry in self.outbox:
            if entry.frame['s'] <= s:
                if entry.ident is not None and entry.failed is None:
                    emit({'event': 'result', 'id': entry.ident, 'ok': True})
            else:
                remaining.append(entry)
        self.outbox = remaining

    def failed(self, frame):
        s = frame.get('s')
        for entry in self.outbox:
            if entry.frame['s'] == s and entry.failed is None:
                entry.failed = frame.get('code')
                if entry.ident is not None:
                    emit({'event': 'result', 'id': entry.ident, 'ok': False, 'code': entry.failed})

    def message(self, frame):
        ch = frame['ch']
        position = self.positions.get(ch)
        if ch in self.resyncing or position is None:
            return
        epoch, seq = position
        if frame['e'] == epoch and frame['q'] <= seq:
            return  # CL3a: a duplicate
        if frame['e'] == epoch and frame['q'] == seq + 1:
            self.positions[ch] = [epoch, frame['q']]
            emit({'event': 'message', 'ch': ch, 'd': frame.get('d')})
            return
        # CL3c: a gap: resubscribe from the position, ignore the channel until the new subd.
        self.resyncing.add(ch)
        self.enqueue_unlocked({'t': 'sub', 'ch': ch, 'from': position}, None)
        self.flush([self.outbox[-1]])

    def subscribed(self, frame):
        ch = frame['ch']
        if 's' in frame and frame['s'] != self.newest_sub.get(ch):
            return  # CL3d: the answer to a sub since replaced
        self.positions[ch] = [frame['e'], frame['q']]
        self.resyncing.discard(ch)
        if frame.get('st') == 'reset':
            emit({'event': 'reset', 'ch': ch})

    def closed(self, frame):
        code = frame.get('code', 1006)
        self.closing = True
        if 4100 <= code < 4300:
            self.stopped = True  # CL7: fatal (and no fresh credentials here)
            emit({'event': 'closed', 'code': code})

    # ---- upstream ----

    def flush(self, entries):
        frames = [entry.frame for entry in entries if entry.failed is None]
        for entry in entries:
            entry.sent = True
        if frames:
            self.post(frames)

    def post(self, frames):
        if not self.token:
            return
        body = '\n'.join(compact(frame) for frame in frames).encode('utf-8')
        self.upstream.put((self.token, body))

    def sender(self):
        while True:
            token, body = self.upstream.get()
            request = urllib.request.Request(self.url + '/send', data=body, method='POST', headers={
                'Pushwire-Connection': token, 'Content-Type': 'text/plain;charset=UTF-8'})
            try:
                urllib.request.urlopen(request, timeout=10).read()
            except Exception:  # noqa: BLE001 - the poll loop notices a dead connection
                pass


def main():
    transport = sys.argv[1] if len(sys.argv) > 1 else 'long-polling'
    if transport not in ('sse', 'long-polling'):
        sys.exit('usage: pushwire_client.py [sse|long-polling]')
    emit({'event': 'ready', 'implements': IMPLEMENTS, 'transports': [transport]})
    lock = threading.RLock()
    client = None
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        kind = command.get('cmd')
        if kind == 'connect':
            client = Client(command['url'], transport, lock)
            threading.Thread(target=client.run, daemon=True).start()
        elif client is None:
            continue
        elif kind == 'subscribe':
            client.subscribe(command['ch'])
        elif kind == 'publish':
            client.submit({'t': 'pub', 'ch': command['ch'], 'd': command.get('d')}, command.get('id'))
        elif kind == 'send':
            client.submit({'t': 'msg', 'd': command.get('d')}, command.get('id'))
        elif kind == 'close':
            client.close()
            return


if __name__ == '__main__':
    main()
