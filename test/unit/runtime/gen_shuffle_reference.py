#!/usr/bin/env python3
"""Prints the shuffle orders pinned in data_test.cc (LoaderTest.ShuffleOrderIsPinned).

An independent model of the algorithm documented in graphc/runtime/data.h
(graphc_loader_set_epoch), written from the C++ standard's definitions of
std::seed_seq::generate ([rand.util.seedseq]) and std::mt19937_64
([rand.eng.mers]) rather than from graphc's code, so the pinned values check
the implementation instead of restating it. Needs only the Python standard
library: python3 gen_shuffle_reference.py
"""

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1


def seed_seq_generate(values, n):
    """std::seed_seq(values).generate() into n 32-bit words."""
    b = [0x8B8B8B8B] * n
    s = len(values)
    t = 11 if n >= 623 else 7 if n >= 68 else 5 if n >= 39 else 3 if n >= 7 else (n - 1) // 2
    p = (n - t) // 2
    q = p + t
    m = max(s + 1, n)

    def mix(x):
        return x ^ (x >> 27)

    for k in range(m):
        r1 = (1664525 * mix(b[k % n] ^ b[(k + p) % n] ^ b[(k - 1) % n])) & M32
        if k == 0:
            r2 = r1 + s
        elif k <= s:
            r2 = r1 + k % n + values[k - 1]
        else:
            r2 = r1 + k % n
        r2 &= M32
        b[(k + p) % n] = (b[(k + p) % n] + r1) & M32
        b[(k + q) % n] = (b[(k + q) % n] + r2) & M32
        b[k % n] = r2
    for k in range(m, m + n):
        r3 = (1566083941 * mix((b[k % n] + b[(k + p) % n] + b[(k - 1) % n]) & M32)) & M32
        r4 = (r3 - k % n) & M32
        b[(k + p) % n] ^= r3
        b[(k + q) % n] ^= r4
        b[k % n] = r4
    return b


class MT19937_64:
    N, M = 312, 156

    def __init__(self, state):
        self.mt = state
        self.index = self.N

    @classmethod
    def from_int(cls, seed):
        mt = [seed & M64]
        for i in range(1, cls.N):
            mt.append((6364136223846793005 * (mt[-1] ^ (mt[-1] >> 62)) + i) & M64)
        return cls(mt)

    @classmethod
    def from_seed_seq(cls, values):
        words = seed_seq_generate(values, cls.N * 2)
        mt = [words[2 * i] | (words[2 * i + 1] << 32) for i in range(cls.N)]
        if (mt[0] >> 31) == 0 and all(x == 0 for x in mt[1:]):
            mt[0] = 1 << 63
        return cls(mt)

    def __call__(self):
        if self.index >= self.N:
            mt = self.mt
            for k in range(self.N):
                y = (mt[k] & 0xFFFFFFFF80000000) | (mt[(k + 1) % self.N] & 0x7FFFFFFF)
                mt[k] = mt[(k + self.M) % self.N] ^ (y >> 1) ^ (0xB5026F5AA96619E9 if y & 1 else 0)
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & M64


def order(seed, epoch, count):
    rng = MT19937_64.from_seed_seq([seed & M32, seed >> 32, epoch & M32, epoch >> 32])
    result = list(range(count))
    for i in range(count - 1, 0, -1):
        bound = i + 1
        threshold = (1 << 64) % bound
        x = rng()
        while x < threshold:
            x = rng()
        j = x % bound
        result[i], result[j] = result[j], result[i]
    return result


def main():
    # The standard requires the 10000th output of a default-constructed
    # mt19937_64 (seed 5489) to be 9981545732273789042.
    check = MT19937_64.from_int(5489)
    for _ in range(9999):
        check()
    assert check() == 9981545732273789042, "the mt19937_64 model is wrong"
    print("seed 42, epoch 0:", order(42, 0, 10))
    print("seed 42, epoch 1:", order(42, 1, 10))
    print("seed 0x123456789ABCDEF0, epoch 0x100000002:",
          order(0x123456789ABCDEF0, 0x100000002, 10))


if __name__ == "__main__":
    main()
