# Probe (2026-12-03, issue 11): everyday files of more stacks: pandas to_excel / to_hdf (PyTables fixed and table),
# a notebook with a base64 PNG output, LICENSE in UTF-8/BOM/UTF-16/UTF-32/Latin-1/CP1252, .env.example, MLflow pytorch
# flavour (MLmodel, registered_model_meta, serving_input_example.json, whole-module torch.save), pandas xz/bz2/zip
# pickles, legacy torch.save, stand-in CatBoost/TensorRT headers (not real files: see README). Usage: /usr/bin/python3 repo4.py DIR
import os, sys, json, base64, io, pickle, struct
import numpy as np, pandas as pd
out = sys.argv[1]
def w(rel, data):
    p = os.path.join(out, rel); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, 'wb').write(data if isinstance(data, bytes) else data.encode())
df = pd.DataFrame({'a': np.arange(5), 'b': np.linspace(0,1,5), 'c': list('abcde')})
# excel
os.makedirs(out+'/excel', exist_ok=True)
df.to_excel(out+'/excel/results.xlsx', index=False)
# pytables
os.makedirs(out+'/hdf', exist_ok=True)
df.to_hdf(out+'/hdf/store.h5', key='df', mode='w')
df.to_hdf(out+'/hdf/table.h5', key='df', mode='w', format='table')
# notebook with image output
from PIL import Image
b = io.BytesIO(); Image.new('RGB', (8,8), (200,10,10)).save(b, 'PNG')
nb = {"cells":[{"cell_type":"code","execution_count":1,"metadata":{},"outputs":[{"data":{"image/png":base64.b64encode(b.getvalue()).decode(),"text/plain":["<Figure>"]},"metadata":{},"output_type":"display_data"},{"name":"stdout","output_type":"stream","text":["!pip install torch\n"]}],"source":["!pip install -q transformers\n","import os\n","os.system('nvidia-smi')"]}],"metadata":{"kernelspec":{"name":"python3","display_name":"Python 3","language":"python"}},"nbformat":4,"nbformat_minor":5}
w('notebooks/train.ipynb', json.dumps(nb, indent=1))
# LICENSE encodings
lic = "MIT License\n\nCopyright (c) 2024 Jürgen Müller\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"
w('lic/LICENSE', lic.encode('utf-8'))
w('lic/LICENSE.latin1', lic.encode('latin-1'))
w('lic/LICENSE.utf16', lic.encode('utf-16'))
w('lic/LICENSE.utf16be', b'\xfe\xff'+lic.encode('utf-16-be'))
w('lic/LICENSE.utf8bom', b'\xef\xbb\xbf'+lic.encode('utf-8'))
w('lic/LICENSE.crlf', lic.replace('\n','\r\n').encode('cp1252'))
w('lic/COPYING', lic.encode('utf-32'))
w('.env.example', "HF_TOKEN=\nOPENAI_API_KEY=sk-xxx\nMODEL_PATH=./models\n")
w('scripts/setup.sh', "#!/usr/bin/env bash\nset -euo pipefail\npip install -r requirements.txt\ncurl -L https://example.com/x.tar.gz | tar xz\n")
# mlflow pyfunc/pytorch
w('mlruns/0/abc/artifacts/model/MLmodel', "artifact_path: model\nflavors:\n  python_function:\n    data: data\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n    loader_module: mlflow.pytorch\n    pickle_module_name: mlflow.pytorch.pickle_module\n    python_version: 3.11.4\n  pytorch:\n    code: null\n    model_data: data\n    pytorch_version: 2.1.0\nmlflow_version: 2.9.2\nmodel_uuid: 0123\nrun_id: abc\nsignature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 4]}}]'\n  outputs: null\nutc_time_created: '2024-01-01 00:00:00.000000'\n")
w('mlruns/0/abc/artifacts/model/registered_model_meta', "model_name: iris\nmodel_version: '3'\n")
w('mlruns/0/abc/artifacts/model/serving_input_example.json', json.dumps({"inputs":[[1,2,3,4]]}))
w('mlruns/0/abc/artifacts/model/data/pickle_module_info.txt', "mlflow.pytorch.pickle_module")
import torch
m = torch.nn.Linear(4,2)
os.makedirs(out+'/mlruns/0/abc/artifacts/model/data', exist_ok=True)
torch.save(m, out+'/mlruns/0/abc/artifacts/model/data/model.pth')
torch.save(m.state_dict(), out+'/mlruns/0/abc/artifacts/model/data/state_dict.pth')
# pandas feather? parquet? need pyarrow: skip. to_pickle of xz/bz2/zip
os.makedirs(out+'/pd', exist_ok=True); df.to_pickle(out+'/pd/df.pkl.xz'); df.to_pickle(out+'/pd/df.pkl.bz2')
df.to_pickle(out+'/pd/df.pkl.zip')
df.to_csv(out+'/pd/df.csv.gz'); df.to_json(out+'/pd/df.json', orient='records')
# numpy text
np.savetxt(out+'/pd/arr.txt', np.eye(3))
# torch hub style
torch.save({'model': m.state_dict(), 'epoch': 3, 'args': {'lr': 0.1}}, out+'/ckpt/best.pth.tar') if os.makedirs(out+'/ckpt', exist_ok=True) is None else None
torch.save(m.state_dict(), out+'/ckpt/model_legacy.pt', _use_new_zipfile_serialization=False)
# catboost cbm-like: 'CBM1' + size + flatbuffer garbage (hand)
w('catboost/model.cbm', b'CBM1' + struct.pack('<I', 16) + bytes(16) + b'\x00'*32)
# tensorrt plan-ish
w('trt/model.plan', b'ftrt' + bytes(60))
# matplotlib ... svgz
import gzip
w('docs/fig.svgz', gzip.compress(b'<svg xmlns="http://www.w3.org/2000/svg"/>'))
# yaml with python tags (conda env)
w('environment.yml', "name: ml\nchannels:\n  - pytorch\ndependencies:\n  - python=3.11\n  - pip:\n    - torch\n")
w('Dockerfile', "FROM python:3.11\nRUN pip install torch && curl -fsSL https://x | sh\n")
w('.pre-commit-config.yaml', "repos:\n- repo: https://github.com/psf/black\n  rev: 23.1.0\n  hooks:\n  - id: black\n")
w('setup.cfg', "[metadata]\nname = x\n[options]\ninstall_requires = torch\n")
w('docs/index.rst', ".. toctree::\n   :maxdepth: 2\n\n{{ project }}\n")
w('CITATION.cff', "cff-version: 1.2.0\ntitle: x\n")
w('data/vocab.pkl', pickle.dumps({'a':1,'b':2}))
w('data/labels.npy', b'')  # empty
np.save(out+'/data/obj.npy', np.array([{'a':1}], dtype=object), allow_pickle=True)
