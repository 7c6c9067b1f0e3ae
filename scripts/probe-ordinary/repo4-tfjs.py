# Probe (2026-12-03, issue 11): raw-tensor layouts of other stacks: TF.js layers/graph models (model.json +
# group1-shardNofM.bin: now companions), Darknet .weights, Zarr v2 chunks, ncnn .param/.bin, a Caffe prototxt.
# Usage: /usr/bin/python3 repo4-tfjs.py DIR
import sys, os, struct, json, zlib
import numpy as np
out = sys.argv[1]
def w(rel, data):
    q = os.path.join(out, rel); os.makedirs(os.path.dirname(q), exist_ok=True)
    open(q, 'wb').write(data if isinstance(data, bytes) else data.encode())
wts = np.arange(12, dtype='<f4')
# TF.js layers model
w('tfjs/model.json', json.dumps({"format": "layers-model", "generatedBy": "keras v2.13", "convertedBy": "TensorFlow.js Converter v4.10.0",
  "modelTopology": {"class_name": "Sequential", "config": {"layers": []}},
  "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "dense/kernel", "shape": [4, 2], "dtype": "float32"}, {"name": "dense/bias", "shape": [4], "dtype": "float32"}]}]}))
w('tfjs/group1-shard1of1.bin', wts.tobytes())
# graph model with 2 shards
w('tfjs-graph/model.json', json.dumps({"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": [{"paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"], "weights": [{"name": "w", "shape": [3, 4], "dtype": "float32"}]}]}))
w('tfjs-graph/group1-shard1of2.bin', wts[:6].tobytes()); w('tfjs-graph/group1-shard2of2.bin', wts[6:].tobytes())
# darknet
w('darknet/yolov4-tiny.cfg', "[net]\nbatch=1\nwidth=416\n\n[convolutional]\nfilters=2\nsize=1\n")
w('darknet/yolov4-tiny.weights', struct.pack('<iiiQ', 0, 2, 5, 32013312) + wts.tobytes())
w('darknet/coco.names', "person\nbicycle\ncar\n")
# zarr v2
w('data.zarr/.zgroup', json.dumps({"zarr_format": 2}))
w('data.zarr/x/.zarray', json.dumps({"chunks": [6], "compressor": None, "dtype": "<f4", "fill_value": 0.0, "filters": None, "order": "C", "shape": [12], "zarr_format": 2}))
w('data.zarr/x/0', wts[:6].tobytes()); w('data.zarr/x/1', wts[6:].tobytes())
w('data.zarr/x/.zattrs', json.dumps({"units": "K"}))
# zarr v2 zlib compressed chunk
w('data.zarr/y/.zarray', json.dumps({"chunks": [12], "compressor": {"id": "zlib", "level": 1}, "dtype": "<f4", "fill_value": 0.0, "filters": None, "order": "C", "shape": [12], "zarr_format": 2}))
w('data.zarr/y/0', zlib.compress(wts.tobytes()))
# ncnn
w('ncnn/model.param', "7767517\n3 3\nInput data 0 1 data 0=4\nInnerProduct fc 1 1 data out 0=2 1=1 2=8\n")
w('ncnn/model.bin', struct.pack('<I', 0) + wts.tobytes())
# caffe prototxt
w('caffe/deploy.prototxt', 'name: "Net"\ninput: "data"\nlayer {\n  name: "fc"\n  type: "InnerProduct"\n}\n')
