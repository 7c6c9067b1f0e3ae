"""Probe 2026-12-04 (issue 11): more ordinary repository files, made by the real tools where installed and by hand
from the formats' own writers' layouts where not. Usage: /usr/bin/python3 repo3.py OUTDIR (then scan, summ.py)."""
import gzip, io, json, os, struct, subprocess, sys, tarfile, zipfile, pickle, hashlib
import numpy as np
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
def w(rel, data):
    p = os.path.join(out, rel); os.makedirs(os.path.dirname(p) or '.', exist_ok=True)
    open(p, 'wb').write(data.encode() if isinstance(data, str) else data); return p

# fastText .bin (FastText::saveModel: magic 793712314, version 12, Args, Dictionary, quant flag, matrices)
def fasttext(quant=False):
    b = io.BytesIO()
    b.write(struct.pack('<ii', 793712314, 12))
    # Args::save: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t(double)
    b.write(struct.pack('<12id', 4, 5, 1, 1, 5, 1, 1, 2 if not quant else 3, 0, 0, 0, 100, 1e-4))
    words = [(b'</s>', 10, 0), (b'the', 5, 0), (b'cat', 3, 0), (b'__label__pos', 4, 1), (b'__label__neg', 2, 1)]
    nwords = sum(1 for x in words if x[2] == 0)
    b.write(struct.pack('<iiiqq', len(words), nwords, len(words) - nwords, 20, -1))
    for word, count, typ in words:
        b.write(word + b'\0' + struct.pack('<qb', count, typ))
    rows = nwords
    if not quant:
        b.write(struct.pack('<?', False)); b.write(struct.pack('<qq', rows, 4)); b.write(np.ones((rows, 4), '<f4').tobytes())
        b.write(struct.pack('<?', False)); b.write(struct.pack('<qq', 2, 4)); b.write(np.ones((2, 4), '<f4').tobytes())
    else:
        # QuantMatrix::save: qnorm, m, n, codesize, codes, ProductQuantizer::save (dim nsubq dsub lastdsub centroids)
        b.write(struct.pack('<?', True))
        codesize = rows * 2
        b.write(struct.pack('<?qqi', False, rows, 4, codesize)); b.write(bytes(codesize))
        b.write(struct.pack('<iiii', 4, 2, 2, 2)); b.write(np.zeros(4 * 256, '<f4').tobytes())
        b.write(struct.pack('<?', False)); b.write(struct.pack('<qq', 2, 4)); b.write(np.ones((2, 4), '<f4').tobytes())
    return b.getvalue()
w('fasttext/model.bin', fasttext()); w('fasttext/lid.176.ftz', fasttext(True))

# ggml family (llama.cpp before GGUF): ggml (unversioned), ggmf v1, ggjt v1-3 (32-byte aligned data), ggla LoRA
def ggml(magic, version, aligned, scores=True):
    b = io.BytesIO(); b.write(struct.pack('<I', magic))
    if version is not None: b.write(struct.pack('<I', version))
    n_vocab = 4
    b.write(struct.pack('<7i', n_vocab, 8, 256, 2, 1, 4, 0))
    for i in range(n_vocab):
        t = [b'<unk>', b'<s>', b'</s>', b'hi'][i]
        b.write(struct.pack('<I', len(t)) + t)
        if scores: b.write(struct.pack('<f', -float(i)))
    for name, shape in [(b'tok_embeddings.weight', (8, 4)), (b'norm.weight', (8,))]:
        b.write(struct.pack('<iii', len(shape), len(name), 0)); b.write(struct.pack(f'<{len(shape)}i', *shape)); b.write(name)
        if aligned: b.write(bytes((-b.tell()) % 32))
        b.write(np.ones(int(np.prod(shape)), '<f4').tobytes())
    return b.getvalue()
w('ggml/ggml-model-f32.bin', ggml(0x67676d6c, None, False, False))
w('ggml/ggml-model-ggmf.bin', ggml(0x67676d66, 1, False))
w('ggml/ggml-model-q4_0.bin', ggml(0x67676a74, 3, True))
w('ggml/ggml-model-ggjt1.bin', ggml(0x67676a74, 1, True))
la = io.BytesIO(); la.write(struct.pack('<IIii', 0x67676c61, 1, 8, 16))
for name, shape in [(b'layers.0.attention.wq.weight.loraA', (8, 4)), (b'layers.0.attention.wq.weight.loraB', (4, 8))]:
    la.write(struct.pack('<iii', len(shape), len(name), 0)); la.write(struct.pack('<2i', *shape)); la.write(name); la.write(bytes((-la.tell()) % 32)); la.write(np.ones(32, '<f4').tobytes())
w('ggml/ggml-adapter-model.bin', la.getvalue())

# MNIST idx (big-endian magic 0x0000 type ndim, dims), raw and gzipped as distributed
def idx(arr, code=0x08):
    return struct.pack('>BBBB', 0, 0, code, arr.ndim) + struct.pack(f'>{arr.ndim}I', *arr.shape) + arr.astype('>u1' if code == 8 else '>f4').tobytes()
imgs = np.random.RandomState(0).randint(0, 255, (3, 28, 28)); labels = np.array([5, 0, 4])
w('mnist/train-images-idx3-ubyte', idx(imgs)); w('mnist/train-labels-idx1-ubyte', idx(labels))
w('mnist/t10k-images-idx3-ubyte.gz', gzip.compress(idx(imgs), mtime=0)); w('mnist/t10k-labels-idx1-ubyte.gz', gzip.compress(idx(labels), mtime=0))
w('mnist/float.idx', idx(np.ones((2, 3)), 0x0d))

# native code: ELF shared object (gcc), object file, Mach-O dylib header, PE DLL header
src = w('native/ext.c', '#include <Python.h>\nint add(int a,int b){return a+b;}\n'.replace('#include <Python.h>\n', ''))
subprocess.run(['gcc', '-shared', '-fPIC', '-O1', '-o', f'{out}/native/_ext.cpython-311-x86_64-linux-gnu.so', src], check=True)
subprocess.run(['gcc', '-c', '-fPIC', '-o', f'{out}/native/ext.o', src], check=True)
subprocess.run(['gcc', '-O1', '-o', f'{out}/native/tool', '-x', 'c', '-'], input=b'int main(){return 0;}', check=True)
# Mach-O 64 MH_DYLIB: header + LC_ID_DYLIB
name = b'@rpath/libext.dylib\0'; name += bytes((-len(name)) % 8)
lc = struct.pack('<II', 0xd, 24 + len(name)) + struct.pack('<IIII', 24, 0, 0x10000, 0x10000) + name
w('native/libext.dylib', struct.pack('<IiiIIIII', 0xfeedfacf, 0x01000007, 3, 6, 1, len(lc), 0x100085, 0) + lc + bytes(256))

# PIL images
from PIL import Image
im = Image.new('RGB', (32, 32), (200, 10, 10))
for fmt, ext in [('ICO', 'ico'), ('PPM', 'ppm'), ('TGA', 'tga'), ('PCX', 'pcx'), ('ICNS', 'icns'), ('JPEG2000', 'jp2'), ('DDS', 'dds'), ('PDF', 'pdf'), ('EPS', 'eps'), ('XBM', 'xbm'), ('SGI', 'sgi'), ('TIFF', 'tiff'), ('WEBP', 'webp'), ('GIF', 'gif'), ('BMP', 'bmp'), ('PNG', 'png'), ('JPEG', 'jpg')]:
    try:
        b = io.BytesIO(); (im.convert('1') if fmt == 'XBM' else im).save(b, fmt); w(f'images/pil.{ext}', b.getvalue())
    except Exception as e: print('PIL', fmt, e)
b = io.BytesIO(); Image.new('RGBA', (256, 256)).save(b, 'ICO', sizes=[(16, 16), (32, 32), (48, 48), (256, 256)]); w('images/favicon-multi.ico', b.getvalue())
w('images/empty.ico', struct.pack('<HHH', 0, 1, 0))
b = io.BytesIO(); Image.new('L', (8, 8)).save(b, 'PNG'); w('images/gray.png', b.getvalue())
b = io.BytesIO(); im.save(b, 'PNG', pnginfo=None, optimize=True); w('images/opt.png', b.getvalue())
b = io.BytesIO(); Image.new('P', (8, 8)).save(b, 'GIF', save_all=True, append_images=[Image.new('P', (8, 8), 1)], loop=0); w('images/anim.gif', b.getvalue())

# npz with many arrays, scipy sparse npz, scipy .mat
os.makedirs(f'{out}/data', exist_ok=True)
np.savez(f'{out}/data/many.npz', **{f'arr_{i}': np.arange(i + 1) for i in range(300)})
np.savez_compressed(f'{out}/data/many_c.npz', *[np.ones(i) for i in range(50)])
import scipy.sparse, scipy.io
scipy.sparse.save_npz(f'{out}/data/sparse.npz', scipy.sparse.random(10, 10, 0.2, format='csr', random_state=0))
scipy.io.savemat(f'{out}/data/weights.mat', {'W': np.ones((3, 3)), 'name': 'x', 'cell': np.array([1, 'a'], dtype=object)})
scipy.io.savemat(f'{out}/data/weights_v4.mat', {'W': np.ones((3, 3))}, format='4')

# git LFS pointers named as the weights they stand for
oid = hashlib.sha256(b'x').hexdigest()
for rel in ['lfs/pytorch_model.bin', 'lfs/model.safetensors', 'lfs/model.onnx', 'lfs/model.pkl', 'lfs/model.gguf']:
    w(rel, f'version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 548118077\n')

# DVC
w('dvc/data.dvc', f'outs:\n- md5: {hashlib.md5(b"x").hexdigest()}.dir\n  size: 1234\n  nfiles: 3\n  hash: md5\n  path: data\n')
w('dvc/model.pkl.dvc', 'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 99\n  path: model.pkl\n')
w('dvc/dvc.yaml', 'stages:\n  train:\n    cmd: python train.py ${train.epochs}\n    deps:\n    - data\n    params:\n    - train\n    outs:\n    - model.pkl\n    metrics:\n    - metrics.json:\n        cache: false\n')
w('dvc/dvc.lock', 'schema: \'2.0\'\nstages:\n  train:\n    cmd: python train.py 10\n    deps:\n    - path: data\n      md5: 0123456789abcdef0123456789abcdef.dir\n      size: 1234\n      nfiles: 3\n    outs:\n    - path: model.pkl\n      md5: 0123456789abcdef0123456789abcdef\n      size: 99\n')
w('dvc/.dvc/config', "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://bucket/path\n")
w('dvc/.dvcignore', '# Add patterns of files dvc should ignore\n')
w('dvc/params.yaml', 'train:\n  epochs: 10\n  lr: 0.001\n')

# tar.xz with SHA-256 check, sparse tar, zstd
os.makedirs(f'{out}/arch/src', exist_ok=True)
w('arch/src/a.txt', 'hello\n'); w('arch/src/labels.txt', 'cos\nsin\n')
with open(f'{out}/arch/src/sparse.bin', 'wb') as f: f.seek(1 << 20); f.write(b'end'); f.seek(3 << 20); f.write(b'x')
subprocess.run(['tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-cf', f'{out}/arch/plain.tar', '-C', f'{out}/arch', 'src'], check=True)
subprocess.run(['xz', '-k', '-C', 'sha256', f'{out}/arch/plain.tar'], check=True)
subprocess.run(['tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-S', '-cf', f'{out}/arch/sparse.tar', '-C', f'{out}/arch', 'src'], check=True)
subprocess.run(['tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-S', '--format=pax', '-cf', f'{out}/arch/sparse-pax.tar', '-C', f'{out}/arch', 'src'], check=True)
subprocess.run(['zstd', '-q', '-k', f'{out}/arch/plain.tar'], check=True)
subprocess.run(['zstd', '-q', '-k', '-o', f'{out}/arch/labels.txt.zst', f'{out}/arch/src/labels.txt'], check=True)
subprocess.run(['xz', '-k', '--format=lzma', '-c', f'{out}/arch/plain.tar'], stdout=open(f'{out}/arch/plain.tar.lzma', 'wb'), check=True)
subprocess.run(['lz4', '-q', f'{out}/arch/plain.tar', f'{out}/arch/plain.tar.lz4'], check=True)
import bz2; w('arch/plain.tar.bz2', bz2.compress(open(f'{out}/arch/plain.tar', 'rb').read()))
os.remove(f'{out}/arch/src/sparse.bin')

# tokenizers, labels, READMEs
import sentencepiece as spm
spm.SentencePieceTrainer.train(sentence_iterator=iter(['hello world', 'the cat sat on the mat'] * 50), model_prefix=f'{out}/tok/spiece' if os.makedirs(f'{out}/tok', exist_ok=True) is None else '', vocab_size=19, model_type='unigram')
w('tok/added_tokens.json', json.dumps({'<extra_id_0>': 32099, '<|endoftext|>': 50256}))
w('tok/vocab.txt', '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s\n')
w('tok/merges.txt', '#version: 0.2\nĠ t\nĠ a\nh e\n')
w('labels/cos.txt', 'cos\nsin\n'); w('labels/imagenet_classes.txt', 'tench\ngoldfish\ngreat white shark\n')
w('labels/coco.names', 'person\nbicycle\ncar\n'); w('labels/classes.txt', 'c\nos\nsystem\n(S"ls"\ntR.\n'[:0] + 'cat\ndog\n')
w('README.md', '---\nlicense: mit\n---\n# {{ model_name }}\n\n{{ card_data }}\n\n```python\nprint("{{x}}")\n```\n')
w('.github/workflows/ci.yml', 'on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n    - run: echo ${{ secrets.HF_TOKEN }} ${{ github.sha }}\n')

# checkpoints of popular stacks, made with torch (classes of libraries not installed are stand-ins, same names)
import torch, types, argparse, collections
sd = collections.OrderedDict((k, torch.ones(2, 2)) for k in ['encoder.weight', 'decoder.weight'])
torch.save({'dims': {'n_mels': 80, 'n_vocab': 51865, 'n_audio_ctx': 1500, 'n_audio_state': 384, 'n_audio_head': 6,
                     'n_audio_layer': 4, 'n_text_ctx': 448, 'n_text_state': 384, 'n_text_head': 6, 'n_text_layer': 4},
            'model_state_dict': sd}, f'{out}/ckpt/whisper-tiny.pt') if os.makedirs(f'{out}/ckpt', exist_ok=True) is None else None
ns = argparse.Namespace(arch='transformer', task='translation', lr=[0.0005], optimizer='adam', data='data-bin')
torch.save({'args': ns, 'cfg': None, 'model': sd, 'optimizer_history': [{'criterion_name': 'LabelSmoothedCrossEntropyCriterion', 'optimizer_name': 'FairseqAdam', 'lr_scheduler_state': {'best': 3.2}, 'num_updates': 100}],
            'extra_state': {'epoch': 2, 'train_iterator': {'epoch': 2, 'iterations_in_epoch': 0, 'shuffle': True}, 'val_loss': 3.2}, 'last_optimizer_state': {'state': {}, 'param_groups': [{'lr': 0.0005, 'params': [0, 1]}]}},
           f'{out}/ckpt/checkpoint_best.pt')
w('ckpt/dict.en.txt', 'the 100\n, 90\n. 80\n')
torch.save({'state_dict': sd, 'global_step': 470000, 'epoch': 6}, f'{out}/ckpt/sd-v1-4.ckpt')
w('ckpt/v1-inference.yaml', 'model:\n  base_learning_rate: 1.0e-04\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n    linear_start: 0.00085\n    unet_config:\n      target: ldm.modules.diffusionmodules.openaimodel.UNetModel\n      params:\n        image_size: 32\n')
torch.save(sd, f'{out}/ckpt/espnet/exp/asr_train/valid.acc.ave_10best.pth') if os.makedirs(f'{out}/ckpt/espnet/exp/asr_train', exist_ok=True) is None else None
w('ckpt/espnet/exp/asr_train/config.yaml', 'encoder: conformer\nencoder_conf:\n  output_size: 256\nfrontend: default\nnormalize: global_mvn\nnormalize_conf:\n  stats_file: exp/asr_stats/train/feats_stats.npz\n')
np.savez(f'{out}/ckpt/espnet/exp/asr_stats/train/feats_stats.npz', count=np.array(100), sum=np.ones(80), sum_square=np.ones(80)) if os.makedirs(f'{out}/ckpt/espnet/exp/asr_stats/train', exist_ok=True) is None else None
# numpy/sklearn extras
import joblib, sklearn.linear_model
joblib.dump(sklearn.linear_model.LogisticRegression().fit(np.eye(4), [0, 1, 0, 1]), f'{out}/ckpt/model.joblib')
# TensorBoard-like, CSV datasets
w('data/train.csv', 'text,label\n"hello, world",1\n"cos",0\n'); w('data/train.tsv', 'text\tlabel\ncos\t0\n')
w('data/train.jsonl', '{"text": "cos", "label": 0}\n{"text": "sin", "label": 1}\n')
# Dockerfile, Makefile, LICENSE, notebook
w('Dockerfile', 'FROM python:3.11-slim\nRUN pip install torch\nCOPY . /app\nCMD ["python", "app.py"]\n')
w('Makefile', 'all:\n\tpython train.py\n')
w('LICENSE', 'MIT License\n\nCopyright (c) 2024\n')
w('.gitattributes', '*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n')
w('notebook.ipynb', json.dumps({'cells': [{'cell_type': 'code', 'execution_count': 1, 'metadata': {}, 'outputs': [], 'source': ['import torch\n', 'm = torch.load("model.pt")']}], 'metadata': {'kernelspec': {'name': 'python3'}}, 'nbformat': 4, 'nbformat_minor': 5}))
# HDF5 via PyTables, pandas HDF
import pandas as pd
try: pd.DataFrame({'a': [1, 2]}).to_hdf(f'{out}/data/frame.h5', 'df')
except Exception as e: print('to_hdf', e)
pd.DataFrame({'a': [1, 2]}).to_feather(f'{out}/data/frame.feather') if False else None
# matplotlib outputs
import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
plt.plot([1, 2]); plt.savefig(f'{out}/images/plot.png'); plt.savefig(f'{out}/images/plot.svg'); plt.savefig(f'{out}/images/plot.pdf'); plt.savefig(f'{out}/images/plot.eps')
# sqlite
import sqlite3
c = sqlite3.connect(f'{out}/data/cache.db'); c.execute('create table t(x)'); c.execute('insert into t values (1)'); c.commit(); c.close()
# python bytecode
import py_compile; py_compile.compile(f'{out}/native/gen.py' if w('native/gen.py', 'x = 1\n') else '', cfile=f'{out}/native/__pycache__/gen.cpython-311.pyc')
# font
import matplotlib.font_manager as fm, shutil
shutil.copy(fm.findfont('DejaVu Sans'), f'{out}/images/DejaVuSans.ttf')
