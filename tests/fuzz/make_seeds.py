#!/usr/bin/env python3
"""Write the seed corpora of the kernel fuzz targets (fuzz_kmsg.c,
fuzz_syscall.c) into kmsg_corpus/ and syscall_corpus/.  Messages follow
docs/protocol.md section 6 (LP64 rule B).  Names in a fuzz kernel: 1 the
task's kernel port, 2 its notify port, 3 its own port, 4 a send right to
the other task's port; a thread reply port is 5.  Run from anywhere:
python3 tests/fuzz/make_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
INT32, PORT, BYTE, STRING, PORT_NAME = 2, 6, 9, 12, 15
INLINE, LONG, DEALLOC = 1 << 28, 1 << 29, 1 << 30


def desc(name, bits, number, flags=INLINE):
    return struct.pack('<II', name | bits << 8 | number << 16 | flags, 0)


def pad8(b):
    return b + b'\0' * (-len(b) % 8)


def item_int(v):
    return desc(INT32, 32, 1) + pad8(struct.pack('<i', v))


def item_ports(names, flags=INLINE, kind=PORT):
    return desc(kind, 32, len(names), flags) + pad8(
        b''.join(struct.pack('<i', n) for n in names))


def item_string(s, nbytes=80):
    d = struct.pack('<IHHI', LONG | INLINE, STRING, 8, nbytes) + b'\0' * 4
    return d + pad8(s.ljust(nbytes, b'\0'))


def msg(dest, reply, mid, body=b'', simple=True, size=None):
    n = 24 + len(body)
    h = struct.pack('<IIiiii', (1 if simple else 0) << 24,
                    n if size is None else size, 0, reply, dest, mid)
    return h + body


KMSG = {
    'simple_int': (0, msg(4, 0, 1000, item_int(7))),
    'with_reply': (0, msg(4, 3, 1001, item_int(8))),
    'port_items': (0, msg(4, 0, 1002, item_ports([3, 4, 0]), simple=False)),
    'port_dealloc': (0, msg(4, 0, 1003, item_ports([4], INLINE | DEALLOC),
                            simple=False)),
    'string_long': (0, msg(4, 0, 1004, item_string(b'hello'))),
    'bytes': (0, msg(4, 0, 1005, desc(BYTE, 8, 64) + b'x' * 64)),
    'rpc_default': (1, msg(4, -1, 1006, item_int(9))),
    'mig_alloc': (0, msg(1, 3, 2076)),
    'mig_type': (0, msg(1, 3, 2074, item_ports([3], kind=PORT_NAME))),
    'short_buffer': (4, msg(4, 0, 1007, item_int(1))),
    'from_b': (2, msg(4, 3, 1008, item_ports([3]), simple=False)),
    'size_lies': (0, msg(4, 0, 1009, item_int(1), size=8192)),
    'ool_pointer': (0, msg(4, 0, 1010, desc(BYTE, 8, 4096, 0) + b'\0' * 8)),
}


def kmsg_seed(flags, m):
    return struct.pack('<BH', flags, len(m)) + m


# A syscall record: task|cancel|expire, slot, call, rcv_name, option,
# send_size, rcv_size, send timeout, receive timeout, buf length, buf.
def rec(task, slot, call, rcv_name=0, option=0, m=b'', rcv=8192, st=0, rt=0,
        flags=0):
    return struct.pack('<BBBbiHHBBH', task | flags, slot, call, rcv_name,
                       option, len(m), rcv, st, rt, len(m)) + m


SEND, RECEIVE, RPC, SELF, REPLY, RELEASE = 1, 2, 3, 4, 5, 6
RCV_TIMEOUT, SEND_TIMEOUT = 0x100, 1
SYSCALL = {
    'send_receive': rec(0, 0, SEND, m=msg(4, 0, 1, item_int(1))) +
    rec(1, 0, RECEIVE, 3),
    'receive_blocks_then_send': rec(1, 0, RECEIVE, 3) +
    rec(0, 0, SEND, m=msg(4, 0, 2, item_int(2))),
    'rpc_and_reply': rec(1, 0, RECEIVE, 3) +
    rec(0, 1, RPC, m=msg(4, 3, 3, item_int(3))) +
    rec(1, 0, SEND, m=msg(4, 0, 103, item_int(4))),
    'mig_port_allocate': rec(0, 63, REPLY) +
    rec(0, 63, RPC, m=msg(1, 5, 2076)),
    'mig_port_status': rec(0, 63, REPLY) +
    rec(0, 63, RPC, m=msg(1, 5, 2079, item_ports([3], kind=PORT_NAME))),
    'mig_port_names': rec(0, 63, REPLY) + rec(0, 63, RPC, m=msg(1, 5, 2073)),
    # T3 found it: the reply id (id + 100) overflowed int.
    'mig_id_int_max': rec(0, 63, REPLY) +
    rec(0, 63, RPC, m=msg(1, 5, 0x7fffffff)),
    'fill_queue': b''.join(rec(0, i, SEND, option=SEND_TIMEOUT, st=5,
                               m=msg(4, 0, i, item_int(i)))
                           for i in range(10)) + rec(0, 0, 0, flags=4),
    'receive_timeout': rec(1, 3, RECEIVE, 3, option=RCV_TIMEOUT, rt=1) +
    rec(1, 3, 0, flags=4),
    'cancel_receive': rec(1, 2, RECEIVE, 3, option=0x200) +
    rec(1, 2, RECEIVE, flags=2),
    'thread_calls': rec(0, 7, SELF) + rec(0, 7, REPLY) + rec(0, 7, RELEASE),
    'ports_in_message': rec(0, 0, SEND, m=msg(4, 3, 5, item_ports([3, 4, 1]),
                                             simple=False)) +
    rec(1, 0, RECEIVE, 3),
    'alloc_fail': rec(0, 0, SEND, m=msg(4, 0, 1, item_int(1))) +
    rec(1, 0, RECEIVE, 3),
}


def write(d, name, data):
    os.makedirs(os.path.join(HERE, d), exist_ok=True)
    with open(os.path.join(HERE, d, name), 'wb') as f:
        f.write(data)


for name, (flags, m) in KMSG.items():
    write('kmsg_corpus', name, kmsg_seed(flags, m))
for name, recs in SYSCALL.items():
    first = b'\x85' if name == 'alloc_fail' else b'\0'
    write('syscall_corpus', name, first + recs)
