"""Writes test/fixtures/synthetic/golden.json: scenes, questions and a hash of every rendered frame for a few seeds,
so test/unit/synthetic checks that engine/core/synthetic (TypeScript) matches this Python world exactly.

  python3 scripts/synthetic-world/golden.py test/fixtures/synthetic/golden.json
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402

SEEDS = [0, 1, 2, 3, 7, 42, 999, 123456, 999999, 2147483647]


def main(path):
    items = []
    for seed in SEEDS:
        it = world.eval_item(seed)
        h = 0x811C9DC5
        for n in range(world.NUM_FRAMES):
            h = world.fnv1a(world.render_frame(it['scene'], n), h)
        it['frames_fnv1a'] = h
        items.append(it)
    first = world.Rng(12345)
    with open(path, 'w') as f:
        json.dump({'rng_12345': [first.next() for _ in range(5)], 'items': items}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1])
