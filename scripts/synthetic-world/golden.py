"""Writes the golden fixture of a synthetic world: scenes, questions and a hash of every rendered frame for a few seeds,
so test/unit/synthetic checks that engine/core/synthetic (TypeScript) matches this Python world exactly.

  python3 scripts/synthetic-world/golden.py test/fixtures/synthetic/golden.json             # world v1
  python3 scripts/synthetic-world/golden.py --world v2 test/fixtures/synthetic/golden-v2.json
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
import world_v2  # noqa: E402

SEEDS = [0, 1, 2, 3, 7, 42, 999, 123456, 999999, 2147483647]


def main(path, version):
    w = world_v2 if version == 'v2' else world
    items = []
    for seed in SEEDS:
        it = w.eval_item(seed, turns=world_v2.MAX_TURNS) if version == 'v2' else w.eval_item(seed)
        h = 0x811C9DC5
        for n in range(w.NUM_FRAMES):
            h = w.fnv1a(w.render_frame(it['scene'], n), h)
        it['frames_fnv1a'] = h
        items.append(it)
    first = world.Rng(12345)
    with open(path, 'w') as f:
        json.dump({'rng_12345': [first.next() for _ in range(5)], 'items': items}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    args = sys.argv[1:]
    version = 'v1'
    if args[:1] == ['--world']:
        version, args = args[1], args[2:]
    if version not in ('v1', 'v2') or len(args) != 1:
        sys.exit('usage: golden.py [--world v1|v2] OUT.json')
    main(args[0], version)
