import os, sys, pickle, json, warnings, io
warnings.simplefilter('ignore')
import numpy as np
out=sys.argv[1]; os.makedirs(out,exist_ok=True)
import xgboost as xgb, joblib
X=np.random.RandomState(0).rand(50,4); y=(X[:,0]>.5).astype(int)
b=xgb.train({'objective':'binary:logistic','max_depth':2},xgb.DMatrix(X,label=y,feature_names=list('abcd')),3)
b.save_model(f'{out}/model.json'); b.save_model(f'{out}/model.ubj')
try: b.save_model(f'{out}/model.bin')
except Exception as e: print(e)
b.save_model(f'{out}/model.deprecated')
b.save_model(f'{out}/model.model')
open(f'{out}/raw.xgb','wb').write(b.save_raw('deprecated'))
open(f'{out}/raw_json.xgb','wb').write(b.save_raw('json'))
open(f'{out}/raw_ubj','wb').write(b.save_raw('ubj'))
b.dump_model(f'{out}/dump.txt'); b.dump_model(f'{out}/dump.json',dump_format='json')
pickle.dump(b,open(f'{out}/booster.pkl','wb')); joblib.dump(b,f'{out}/booster.joblib')
for cls in [xgb.XGBClassifier,xgb.XGBRegressor,xgb.XGBRanker if False else xgb.XGBRFClassifier]:
    m=cls(n_estimators=2,max_depth=2).fit(X,y)
    pickle.dump(m,open(f'{out}/{cls.__name__}.pkl','wb')); joblib.dump(m,f'{out}/{cls.__name__}.joblib'); m.save_model(f'{out}/{cls.__name__}.json')
    joblib.dump(m,f'{out}/{cls.__name__}.c3.joblib',compress=3)
r=xgb.XGBRanker(n_estimators=2).fit(X,y,group=[25,25]); pickle.dump(r,open(f'{out}/ranker.pkl','wb'))
from sklearn.pipeline import make_pipeline; from sklearn.preprocessing import StandardScaler
joblib.dump(make_pipeline(StandardScaler(),xgb.XGBClassifier(n_estimators=2)).fit(X,y),f'{out}/xgb_pipe.joblib')
# onnx
import onnx
from onnx import helper, TensorProto, numpy_helper
W=numpy_helper.from_array(np.random.rand(4,3).astype('f4'),'W')
g=helper.make_graph([helper.make_node('MatMul',['x','W'],['y']),helper.make_node('Relu',['y'],['z'])],'g',[helper.make_tensor_value_info('x',TensorProto.FLOAT,[1,4])],[helper.make_tensor_value_info('z',TensorProto.FLOAT,[1,3])],[W])
m=helper.make_model(g,opset_imports=[helper.make_opsetid('',13),helper.make_opsetid('com.microsoft',1),helper.make_opsetid('ai.onnx.ml',3)],producer_name='pytorch',producer_version='1.13',doc_string='doc')
helper.set_model_props(m,{'author':'me','{{x}}':'${{ y }}','license':'mit'})
onnx.save(m,f'{out}/m.onnx')
m2=onnx.load(f'{out}/m.onnx'); onnx.save_model(m2,f'{out}/ext.onnx',save_as_external_data=True,all_tensors_to_one_file=True,location='ext.onnx.data',size_threshold=0)
m3=onnx.load(f'{out}/m.onnx'); onnx.save_model(m3,f'{out}/ext2.onnx',save_as_external_data=True,all_tensors_to_one_file=False,size_threshold=0)
ml=helper.make_model(helper.make_graph([helper.make_node('LinearClassifier',['x'],['l','p'],domain='ai.onnx.ml',coefficients=[1.,2,3,4,5,6,7,8],intercepts=[0.,0],classlabels_ints=[0,1])],'ml',[helper.make_tensor_value_info('x',TensorProto.FLOAT,[1,4])],[helper.make_tensor_value_info('l',TensorProto.INT64,[1]),helper.make_tensor_value_info('p',TensorProto.FLOAT,[1,2])]),opset_imports=[helper.make_opsetid('',13),helper.make_opsetid('ai.onnx.ml',1)])
onnx.save(ml,f'{out}/ml.onnx')
# function-containing, if/loop subgraphs
ifn=helper.make_node('If',['c'],['o'],then_branch=helper.make_graph([helper.make_node('Constant',[],['o'],value=numpy_helper.from_array(np.ones(1,'f4')))],'t',[],[helper.make_tensor_value_info('o',TensorProto.FLOAT,[1])]),else_branch=helper.make_graph([helper.make_node('Constant',[],['o'],value=numpy_helper.from_array(np.zeros(1,'f4')))],'e',[],[helper.make_tensor_value_info('o',TensorProto.FLOAT,[1])]))
onnx.save(helper.make_model(helper.make_graph([ifn],'if',[helper.make_tensor_value_info('c',TensorProto.BOOL,[])],[helper.make_tensor_value_info('o',TensorProto.FLOAT,[1])]),opset_imports=[helper.make_opsetid('',13)]),f'{out}/if.onnx')
# string tensor initializer
st=helper.make_tensor('labels',TensorProto.STRING,[2],[b'cat',b'dog'])
onnx.save(helper.make_model(helper.make_graph([helper.make_node('Identity',['labels'],['o'])],'s',[],[helper.make_tensor_value_info('o',TensorProto.STRING,[2])],[st]),opset_imports=[helper.make_opsetid('',13)]),f'{out}/strings.onnx')
# torch onnx export
try:
    import torch
    torch.onnx.export(torch.nn.Sequential(torch.nn.Linear(3,2),torch.nn.Softmax(-1)),torch.ones(1,3),f'{out}/torch_export.onnx',input_names=['x'],output_names=['y'],dynamic_axes={'x':{0:'b'}})
    torch.onnx.export(torch.nn.LSTM(3,2),torch.ones(2,1,3),f'{out}/lstm.onnx')
except Exception as e: print('onnx export',e)
for p in os.listdir(out):
    if p.endswith('.onnx'): onnx.checker.check_model(f'{out}/{p}')
# h5py
import h5py
with h5py.File(f'{out}/weights.h5','w') as f:
    g=f.create_group('dense'); g.create_dataset('kernel:0',data=np.ones((2,2))); g.attrs['weight_names']=[b'kernel:0']; f.attrs['keras_version']=b'2.13'; f.attrs['backend']=b'tensorflow'
    f.attrs['layer_names']=np.array([b'dense'])
with h5py.File(f'{out}/data.hdf5','w') as f:
    f.create_dataset('x',data=np.arange(10),compression='gzip'); f.create_dataset('s',data=np.array([b'a',b'b'])); f.create_dataset('vlen',data=['x','yy'],dtype=h5py.string_dtype())
    f.attrs['json']=json.dumps({'a':1}); f.create_dataset('lzf',data=np.arange(100),compression='lzf'); f['link']=h5py.SoftLink('/x')
with h5py.File(f'{out}/model.h5','w') as f:
    f.attrs['model_config']=json.dumps({'class_name':'Sequential','config':{'name':'s','layers':[{'class_name':'InputLayer','config':{'batch_input_shape':[None,2],'dtype':'float32','name':'in'}},{'class_name':'Dense','config':{'name':'dense','units':2,'activation':'relu'}}]}}).encode()
    f.attrs['keras_version']='2.13.1'; f.attrs['backend']='tensorflow'; f.attrs['training_config']=json.dumps({'loss':'mse','optimizer_config':{'class_name':'Adam','config':{'learning_rate':0.001}}})
    mw=f.create_group('model_weights'); mw.attrs['layer_names']=[b'dense']; d=mw.create_group('dense'); d.attrs['weight_names']=[b'dense/kernel:0']; d.create_dataset('dense/kernel:0',data=np.ones((2,2)))
# sentencepiece
import sentencepiece as spm
open(f'{out}/corpus.txt','w').write('\n'.join(['hello world this is a test sentence number %d'%i for i in range(200)]))
for t in ['unigram','bpe','char','word']:
    spm.SentencePieceTrainer.train(input=f'{out}/corpus.txt',model_prefix=f'{out}/sp_{t}',vocab_size=30 if t!='char' else 20,model_type=t,hard_vocab_limit=False)
os.rename(f'{out}/sp_unigram.model',f'{out}/spiece.model'); os.rename(f'{out}/sp_bpe.model',f'{out}/tokenizer.model'); os.rename(f'{out}/sp_char.model',f'{out}/sentencepiece.bpe.model')
os.remove(f'{out}/corpus.txt')
# msgpack
import msgpack
def enc(o):
    if isinstance(o,np.ndarray): return msgpack.ExtType(1,msgpack.packb((o.shape,o.dtype.name,o.tobytes())))
    return o
params={'params':{'Dense_0':{'kernel':np.ones((2,2),'f4'),'bias':np.zeros(2,'f4')},'emb':{'embedding':np.ones((3,2),'f2')}},'step':np.int32(3).item(),'opt_state':[{'mu':{'k':np.ones(1,'f4')}},None, 1.5, 'str', b'bytes', True]}
open(f'{out}/flax_model.msgpack','wb').write(msgpack.packb(params,default=enc,use_bin_type=True))
open(f'{out}/checkpoint_1000','wb').write(msgpack.packb(params,default=enc,use_bin_type=True))
open(f'{out}/plain.msgpack','wb').write(msgpack.packb({'a':[1,2,3],'b':{'c':'d'}}))
open(f'{out}/list.msgpack','wb').write(msgpack.packb([1,2,{'x':b'\x00'*50}]))
# xgb model from legacy dump loaded back
print('done')
