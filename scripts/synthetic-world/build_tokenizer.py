"""Writes the toy model's tokenizer and processor files (pure Python, no `tokenizers` needed):

  python3 scripts/synthetic-world/build_tokenizer.py assets/models/sparsevila-toy-shapes
  python3 scripts/synthetic-world/build_tokenizer.py --world v2 /tmp/tok   # the v2 model's files

tokenizer.json holds a WordPiece model whose vocabulary is whole words only (no "##" pieces), so every
lower-cased word or punctuation run is one token or [UNK]: a word-level tokenizer that both the Rust `tokenizers`
library (training) and @huggingface/tokenizers (the engine; it has no WordLevel model) read the same way.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
import world_v2  # noqa: E402

SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<video>', '<image>', '[UNK]']

# ChatML as the engine's fallback (engine/core/tokenizer/tokenizer.ts QWEN2_CHATML_TEMPLATE): default system prompt,
# video/image placeholders first, then the text.
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\\n' }}"
    "{% elif content['type'] == 'video' %}{{ '<video>\\n' }}{% endif %}{% endfor %}"
    "{% for content in message['content'] %}{% if content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

PUNCT = ['.', ',', '?', '!', ':', ';', "'", '"', '-', '(', ')', '/', '.,', '?"', '."', "'s"]

PROMPT_WORDS = """system user assistant you are a helpful the video lasts for seconds and frames uniformly sampled
from it these located at please answer following questions related to this""".split()

# Words a user of the app is likely to type; the toy model was not trained on them, they only avoid [UNK].
COMMON_WORDS = """what which who whom whose when where why how is was were be been being am do does did done doing have
has had having can could should would will shall may might must not no yes an of in on off over under above below
into onto out up down left right top bottom middle center centre side front back between behind near far next
after before during while first last then than there here that those this these they them their it its he she
his her him we us our i me my your yours one two three four five six seven eight nine ten many much more most
few less least some any all each every other another same different colour color colours colors shape shapes
object objects thing things appear appears appeared disappear disappeared move moves moved moving way ways
direction count number times time second minute start end beginning happen happens happened show shows shown see
seen visible look looks like describe description tell say what's there's it's big small large tiny long short
fast slow only also just again still about with without by as or if so because but video clip scene frame
image picture person people man woman car dog cat ball hand text word letter digit red green blue yellow white
black gray grey orange purple pink brown magenta cyan circle square triangle cross star line dot box circles
squares triangles crosses lines dots boxes""".split()


def vocabulary(version='v1'):
    """v1's words; v2 appends the words of its world (so v1's ids do not move)."""
    words = []
    words += PUNCT
    words += PROMPT_WORDS
    words += [name for name, _ in world.COLOURS]
    words += world.SHAPES + world.SHAPE_PLURALS + world.DIRECTIONS
    words += 'what shape object colour way move which appeared first last after how many objects did appear yes no'.split()
    words += COMMON_WORDS
    words += [str(i) for i in range(1000)]
    words += ['%02d' % i for i in range(100)]
    words += ['%02ds' % i for i in range(100)]
    if version == 'v2':
        words += [name for name, _ in world_v2.COLOURS] + world_v2.SIDES + world_v2.WORDS
    seen = set()
    out = []
    for w in words:
        w = w.lower()
        if w not in seen and w not in SPECIALS:
            seen.add(w)
            out.append(w)
    return out


def tokenizer_json(words):
    vocab = {}
    for t in SPECIALS + words:
        vocab[t] = len(vocab)
    added = [{'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
              'normalized': False, 'special': True} for t in SPECIALS]
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added,
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': {'type': 'Whitespace'},
        'post_processor': None,
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': vocab},
    }


def write(out_dir, version='v1'):
    os.makedirs(out_dir, exist_ok=True)
    size = world_v2.SIZE if version == 'v2' else world.SIZE
    words = vocabulary(version)
    tj = tokenizer_json(words)
    vocab = tj['model']['vocab']

    def dump(name, obj):
        with open(os.path.join(out_dir, name), 'w') as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write('\n')

    dump('tokenizer.json', tj)
    dump('tokenizer_config.json', {
        'tokenizer_class': 'PreTrainedTokenizerFast',
        'model_max_length': 4096,
        'bos_token': None,
        'eos_token': '<|im_end|>',
        'pad_token': '<|endoftext|>',
        'unk_token': '[UNK]',
        'clean_up_tokenization_spaces': True,
        'extra_special_tokens': {'image_token': '<image>', 'video_token': '<video>'},
        'added_tokens_decoder': {str(vocab[t]): {'content': t, 'lstrip': False, 'normalized': False,
                                                 'rstrip': False, 'single_word': False, 'special': True}
                                 for t in SPECIALS},
        'chat_template': CHAT_TEMPLATE,
    })
    dump('special_tokens_map.json', {'eos_token': '<|im_end|>', 'pad_token': '<|endoftext|>', 'unk_token': '[UNK]'})
    dump('chat_template.json', {'chat_template': CHAT_TEMPLATE})
    image_proc = {
        'do_resize': True, 'size': {'height': size, 'width': size}, 'resample': 3,
        'do_rescale': True, 'rescale_factor': 1 / 255,
        'do_normalize': True, 'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5],
        'do_convert_rgb': True,
    }
    dump('preprocessor_config.json', dict(image_proc, image_processor_type='LlavaOnevisionImageProcessor',
                                          processor_class='LlavaOnevisionProcessor', do_pad=False,
                                          image_grid_pinpoints=[[size, size]]))
    dump('video_preprocessor_config.json', dict(image_proc, video_processor_type='LlavaOnevisionVideoProcessor',
                                                processor_class='LlavaOnevisionProcessor', do_sample_frames=False))
    frame_tokens = (size // 8 + 1) // 2
    dump('processor_config.json', {
        'processor_class': 'LlavaOnevisionProcessor', 'image_token': '<image>', 'video_token': '<video>',
        'num_image_tokens': frame_tokens * frame_tokens, 'vision_feature_select_strategy': 'full',
        'vision_aspect_ratio': 'anyres_max_9',
    })
    return vocab


if __name__ == '__main__':
    args = sys.argv[1:]
    version = 'v1'
    if args[:1] == ['--world']:
        version, args = args[1], args[2:]
    if version not in ('v1', 'v2') or len(args) != 1:
        sys.exit('usage: build_tokenizer.py [--world v1|v2] OUT_DIR')
    v = write(args[0], version)
    print('wrote %d tokens to %s' % (len(v), args[0]))
