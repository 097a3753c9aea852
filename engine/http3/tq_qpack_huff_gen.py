#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write tq_qpack_huff.c, the decoding tables of the HPACK Huffman code
(RFC 7541 Appendix B) that QPACK string literals use.

The code is canonical: codes of one length are consecutive, in symbol
order, and each length's first code follows the last of the length
before, shifted.  So a code length per symbol is the whole code; the
table below keeps the RFC's codes too, to check that against them.
Standard library only.  Usage: tq_qpack_huff_gen.py > tq_qpack_huff.c
"""

# (code in hex, length) of symbols 0-255 and EOS (256), four a row after
# the first's number, as RFC 7541 Appendix B lists them.
CODES = """
  0: 1ff8 13 7fffd8 23 fffffe2 28 fffffe3 28
  4: fffffe4 28 fffffe5 28 fffffe6 28 fffffe7 28
  8: fffffe8 28 ffffea 24 3ffffffc 30 fffffe9 28
 12: fffffea 28 3ffffffd 30 fffffeb 28 fffffec 28
 16: fffffed 28 fffffee 28 fffffef 28 ffffff0 28
 20: ffffff1 28 ffffff2 28 3ffffffe 30 ffffff3 28
 24: ffffff4 28 ffffff5 28 ffffff6 28 ffffff7 28
 28: ffffff8 28 ffffff9 28 ffffffa 28 ffffffb 28
 32: 14 6 3f8 10 3f9 10 ffa 12
 36: 1ff9 13 15 6 f8 8 7fa 11
 40: 3fa 10 3fb 10 f9 8 7fb 11
 44: fa 8 16 6 17 6 18 6
 48: 0 5 1 5 2 5 19 6
 52: 1a 6 1b 6 1c 6 1d 6
 56: 1e 6 1f 6 5c 7 fb 8
 60: 7ffc 15 20 6 ffb 12 3fc 10
 64: 1ffa 13 21 6 5d 7 5e 7
 68: 5f 7 60 7 61 7 62 7
 72: 63 7 64 7 65 7 66 7
 76: 67 7 68 7 69 7 6a 7
 80: 6b 7 6c 7 6d 7 6e 7
 84: 6f 7 70 7 71 7 72 7
 88: fc 8 73 7 fd 8 1ffb 13
 92: 7fff0 19 1ffc 13 3ffc 14 22 6
 96: 7ffd 15 3 5 23 6 4 5
100: 24 6 5 5 25 6 26 6
104: 27 6 6 5 74 7 75 7
108: 28 6 29 6 2a 6 7 5
112: 2b 6 76 7 2c 6 8 5
116: 9 5 2d 6 77 7 78 7
120: 79 7 7a 7 7b 7 7ffe 15
124: 7fc 11 3ffd 14 1ffd 13 ffffffc 28
128: fffe6 20 3fffd2 22 fffe7 20 fffe8 20
132: 3fffd3 22 3fffd4 22 3fffd5 22 7fffd9 23
136: 3fffd6 22 7fffda 23 7fffdb 23 7fffdc 23
140: 7fffdd 23 7fffde 23 ffffeb 24 7fffdf 23
144: ffffec 24 ffffed 24 3fffd7 22 7fffe0 23
148: ffffee 24 7fffe1 23 7fffe2 23 7fffe3 23
152: 7fffe4 23 1fffdc 21 3fffd8 22 7fffe5 23
156: 3fffd9 22 7fffe6 23 7fffe7 23 ffffef 24
160: 3fffda 22 1fffdd 21 fffe9 20 3fffdb 22
164: 3fffdc 22 7fffe8 23 7fffe9 23 1fffde 21
168: 7fffea 23 3fffdd 22 3fffde 22 fffff0 24
172: 1fffdf 21 3fffdf 22 7fffeb 23 7fffec 23
176: 1fffe0 21 1fffe1 21 3fffe0 22 1fffe2 21
180: 7fffed 23 3fffe1 22 7fffee 23 7fffef 23
184: fffea 20 3fffe2 22 3fffe3 22 3fffe4 22
188: 7ffff0 23 3fffe5 22 3fffe6 22 7ffff1 23
192: 3ffffe0 26 3ffffe1 26 fffeb 20 7fff1 19
196: 3fffe7 22 7ffff2 23 3fffe8 22 1ffffec 25
200: 3ffffe2 26 3ffffe3 26 3ffffe4 26 7ffffde 27
204: 7ffffdf 27 3ffffe5 26 fffff1 24 1ffffed 25
208: 7fff2 19 1fffe3 21 3ffffe6 26 7ffffe0 27
212: 7ffffe1 27 3ffffe7 26 7ffffe2 27 fffff2 24
216: 1fffe4 21 1fffe5 21 3ffffe8 26 3ffffe9 26
220: ffffffd 28 7ffffe3 27 7ffffe4 27 7ffffe5 27
224: fffec 20 fffff3 24 fffed 20 1fffe6 21
228: 3fffe9 22 1fffe7 21 1fffe8 21 7ffff3 23
232: 3fffea 22 3fffeb 22 1ffffee 25 1ffffef 25
236: fffff4 24 fffff5 24 3ffffea 26 7ffff4 23
240: 3ffffeb 26 7ffffe6 27 3ffffec 26 3ffffed 26
244: 7ffffe7 27 7ffffe8 27 7ffffe9 27 7ffffea 27
248: 7ffffeb 27 ffffffe 28 7ffffec 27 7ffffed 27
252: 7ffffee 27 7ffffef 27 7fffff0 27 3ffffee 26
256: 3fffffff 30
"""


def codes():
    w = [x for x in CODES.split() if not x.endswith(":")]
    t = [(int(w[i], 16), int(w[i + 1])) for i in range(0, len(w), 2)]
    assert len(t) == 257
    return t


def canonical(t):
    """Symbols in code order, and per length its first code and rank."""
    order = sorted(range(257), key=lambda s: (t[s][1], s))
    first, rank = {}, {}
    code, prev = 0, t[order[0]][1]
    for r, s in enumerate(order):
        n = t[s][1]
        code <<= n - prev
        prev = n
        if n not in first:
            first[n], rank[n] = code, r
        assert code == t[s][0], "symbol %d is not canonical" % s
        code += 1
    assert code == 1 << 30 and order[-1] == 256, "not complete"
    return order, first, rank


def main():
    t = codes()
    order, first, rank = canonical(t)
    print("/* SPDX-License-Identifier: BSD-3-Clause */")
    print("/* Written by tq_qpack_huff_gen.py: edit that, not this. */")
    print('#include "http3/tq_qpack_huff.h"')
    print()
    print("/* Codes of up to 8 bits by the 8 bits they start: length << 8 |")
    print(" * symbol, or 0 for a longer code. */")
    print("const uint16_t tq_qpack_huff_fast[256] = {")
    fast = [0] * 256
    for s in range(256):
        c, n = t[s]
        if n <= 8:
            for x in range(1 << (8 - n)):
                fast[(c << (8 - n)) | x] = n << 8 | s
    for i in range(0, 256, 8):
        print("\t" + " ".join("0x%04x," % v for v in fast[i:i + 8]))
    print("};")
    print()
    print("/* Per length 0-30: one past its last code (its first code plus")
    print(" * how many), its first code, and the rank of that first code. */")
    lim, fst, rk = [], [], []
    nxt, rnext = 0, 0
    for n in range(31):
        if n in first:
            cnt = sum(1 for s in range(257) if t[s][1] == n)
            fst.append(first[n])
            rk.append(rank[n])
            nxt = first[n] + cnt
            rnext = rank[n] + cnt
        else:
            fst.append(nxt)
            rk.append(rnext)
        lim.append(nxt)
        nxt <<= 1
    print("const struct tq_qpack_huff_len")
    print("\ttq_qpack_huff_len[TQ_QPACK_HUFF_MAXLEN + 1] = {")
    for n in range(31):
        print("\t{ 0x%08x, 0x%08x, %3d }, /* %2d */" % (lim[n], fst[n],
                                                     rk[n], n))
    print("};")
    print()
    print("/* Symbols 0-255 by rank (code order); EOS, rank 256, is last. */")
    print("const uint8_t tq_qpack_huff_sym[256] = {")
    for i in range(0, 256, 12):
        print("\t" + " ".join("%3d," % v
                               for v in order[i:min(i + 12, 256)]))
    print("};")


if __name__ == "__main__":
    main()
