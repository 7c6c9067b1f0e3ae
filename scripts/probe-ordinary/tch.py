import warnings, os, sys, io, random, datetime, decimal, fractions, uuid, pathlib, collections, argparse, enum, types, dataclasses, functools
warnings.simplefilter('ignore')
import numpy as np, torch, torch.nn as nn
out=sys.argv[1]; os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
mods={'linear':nn.Linear(3,2),'conv':nn.Sequential(nn.Conv2d(1,2,3),nn.BatchNorm2d(2),nn.ReLU(),nn.MaxPool2d(2)),'lstm':nn.LSTM(3,4,2),'gru':nn.GRU(3,4),'emb':nn.Embedding(5,3),'tf':nn.TransformerEncoder(nn.TransformerEncoderLayer(8,2,16),1),'ln':nn.LayerNorm(4),'mha':nn.MultiheadAttention(8,2),'convt':nn.ConvTranspose1d(2,2,3),'gn':nn.GroupNorm(1,2),'bn1':nn.BatchNorm1d(3),'prelu':nn.PReLU(),'bil':nn.Bilinear(2,2,2),'rnn':nn.RNN(2,2),'embbag':nn.EmbeddingBag(5,3),'moddict':nn.ModuleDict({'a':nn.Linear(1,1)}),'plist':nn.ParameterList([nn.Parameter(torch.ones(2))])}
objs={}
for k,m in mods.items():
    objs['sd_'+k]=m.state_dict()
    objs['whole_'+k]=m
model=nn.Sequential(nn.Linear(3,4),nn.ReLU(),nn.Linear(4,2))
for name in dir(torch.optim):
    cls=getattr(torch.optim,name)
    if isinstance(cls,type) and issubclass(cls,torch.optim.Optimizer) and cls is not torch.optim.Optimizer:
        try:
            kw={'lr':0.1} if name not in ('LBFGS',) else {}
            o=cls(model.parameters(),**kw)
            def closure():
                o.zero_grad(); l=model(torch.ones(2,3)).sum(); l.backward(); return l
            o.step(closure)
            objs['optim_'+name]=o.state_dict()
            sch_objs={}
            import torch.optim.lr_scheduler as L
            for sn in dir(L):
                sc=getattr(L,sn)
                if isinstance(sc,type) and sn not in ('_LRScheduler','LRScheduler','Optimizer','ReduceLROnPlateau','SequentialLR','ChainedScheduler','Counter','_enable_get_lr_call') and issubclass(sc,getattr(L,'_LRScheduler')) and name=='SGD':
                    o2=torch.optim.SGD(model.parameters(),lr=0.1,momentum=0.9)
                    args={'StepLR':dict(step_size=2),'MultiStepLR':dict(milestones=[1]),'ExponentialLR':dict(gamma=.9),'CosineAnnealingLR':dict(T_max=3),'CyclicLR':dict(base_lr=.01,max_lr=.1),'OneCycleLR':dict(max_lr=.1,total_steps=10),'CosineAnnealingWarmRestarts':dict(T_0=2),'LambdaLR':dict(lr_lambda=lambda e:1),'MultiplicativeLR':dict(lr_lambda=lambda e:1),'ConstantLR':{},'LinearLR':{},'PolynomialLR':{}}.get(sn)
                    if args is None: print('skip sched',sn); continue
                    try:
                        s=sc(o2,**args); o2.step(); s.step()
                        objs['sched_'+sn]=s.state_dict()
                        objs['sched_obj_'+sn]=s if sn not in('LambdaLR','MultiplicativeLR') else None
                    except Exception as e: print('sched',sn,e)
        except Exception as e: print('optim',name,e)
import torch.optim.lr_scheduler as L
o2=torch.optim.SGD(model.parameters(),lr=0.1)
objs['plateau']=L.ReduceLROnPlateau(o2).state_dict()
objs['seqlr']=L.SequentialLR(o2,[L.ConstantLR(o2),L.ExponentialLR(o2,.9)],milestones=[1]).state_dict()
objs['chained']=L.ChainedScheduler([L.ConstantLR(o2),L.ExponentialLR(o2,.9)]).state_dict() if hasattr(L,'ChainedScheduler') else None
objs['rng']={'python':random.getstate(),'numpy':np.random.get_state(),'torch':torch.get_rng_state(),'np_gen':np.random.default_rng(0).bit_generator.state, 'torch_gen':torch.Generator().get_state()}
objs['rng_gen_obj']={'g':torch.Generator().manual_seed(1)} if True else None
objs['scaler']=torch.cuda.amp.GradScaler(enabled=False).state_dict()
try: objs['scaler_obj']=torch.cuda.amp.GradScaler(enabled=False)
except Exception as e: print(e)
objs['tensors']={'q':torch.quantize_per_tensor(torch.rand(3),0.1,0,torch.quint8),'qc':torch.quantize_per_channel(torch.rand(2,3),torch.tensor([.1,.2]),torch.tensor([0,0]),0,torch.qint8),
 'coo':torch.rand(3,3).to_sparse(),'csr':torch.rand(3,3).to_sparse_csr(),'cplx':torch.rand(2,dtype=torch.complex64),'bool':torch.ones(2,dtype=torch.bool),'bf16':torch.ones(2,dtype=torch.bfloat16),'f16':torch.ones(2).half(),'i8':torch.ones(2,dtype=torch.int8),'u8':torch.ones(2,dtype=torch.uint8),'f64':torch.ones(2,dtype=torch.float64),'c128':torch.ones(2,dtype=torch.complex128),
 'size':torch.Size([2,3]),'dtype':torch.float32,'device':torch.device('cpu'),'layout':torch.strided,'memfmt':torch.channels_last,'param':nn.Parameter(torch.ones(2)),'noncontig':torch.ones(4,4).t(),'view':torch.ones(10)[2:5],'empty':torch.empty(0),'scalar':torch.tensor(3.0),'reqgrad':torch.ones(2,requires_grad=True),'finfo':None}
try: objs['tensors']['csc']=torch.rand(3,3).to_sparse_csc()
except Exception as e: print(e)
objs['tensors'].pop('finfo')
Point=collections.namedtuple('Point','x y')
class Color(enum.Enum): RED=1
objs['containers']={'dt':datetime.datetime(2020,1,1,tzinfo=datetime.timezone.utc),'d':datetime.date(2020,1,1),'t':datetime.time(1),'td':datetime.timedelta(1),'tz':datetime.timezone(datetime.timedelta(hours=3),'X'),'dec':decimal.Decimal('1.1'),'frac':fractions.Fraction(1,3),'uuid':uuid.uuid4(),'path':pathlib.Path('/tmp/x'),'ppath':pathlib.PurePosixPath('a'),'deque':collections.deque([1,2],maxlen=5),'counter':collections.Counter('aab'),'dd':collections.defaultdict(list,{'a':[1]}),'ddint':collections.defaultdict(int),'dddict':collections.defaultdict(dict),'ddset':collections.defaultdict(set),'od':collections.OrderedDict(a=1),'ns':argparse.Namespace(a=1,b='x'),'sns':types.SimpleNamespace(a=1),'set':{1,2},'fs':frozenset([1]),'bytes':b'x','ba':bytearray(b'x'),'cplx':1j,'range':range(3),'slice':slice(1,2),'ell':Ellipsis,'none':None,'inf':float('inf'),'bigint':2**100,'chainmap':collections.ChainMap({'a':1}),'npscalar':np.float32(1),'nparr':np.arange(3),'np_dtype':np.dtype('float32'),'np_struct':np.zeros(2,dtype=[('a','i4'),('b','f8')]),'np_dt64':np.array(['2020-01-01'],dtype='datetime64[ns]'), 're':__import__('re').compile('a+', 2), 'ipaddr':__import__('ipaddress').ip_address('1.2.3.4'),'array':__import__('array').array('f',[1,2]),'type_int':int,'type_float':float,'torch_dtype_in_list':[torch.float16,torch.int64],'np_int':np.int64(1),'np_bool':np.bool_(True),'tuple_of_sizes':(torch.Size([1]),)}
objs['args_ns_full']=argparse.Namespace(lr=0.1, layers=[1,2], device=torch.device('cpu'), dtype=torch.float16, path=pathlib.Path('x'))
objs['dc']=None
for k,o in list(objs.items()):
    if o is None: continue
    try:
        torch.save(o,f'{out}/{k}.pt')
        torch.save(o,f'{out}/{k}.legacy.pt',_use_new_zipfile_serialization=False)
        torch.save(o,f'{out}/{k}.p2.pt',pickle_protocol=2)
    except Exception as e: print('save',k,e)
# jit
class M(nn.Module):
    def __init__(s): super().__init__(); s.l=nn.Linear(3,2)
    def forward(s,x): return torch.relu(s.l(x))
torch.jit.save(torch.jit.script(M()),f'{out}/scripted.pt')
torch.jit.save(torch.jit.trace(M(),torch.ones(1,3)),f'{out}/traced.pt')
torch.jit.script(M()).save(f'{out}/scripted2.pth')
torch.jit.save(torch.jit.script(nn.LSTM(2,2)),f'{out}/lstm_script.pt')
torch.jit.save(torch.jit.trace(mods['conv'].eval(),torch.ones(1,1,6,6)),f'{out}/conv_traced.torchscript')
try:
    sm=torch.jit.script(M()); torch.jit.save(sm,f'{out}/with_extra.pt',_extra_files={'meta.json':'{"a":1}','config.txt':'x'})
except Exception as e: print(e)
try:
    from torch.utils.mobile_optimizer import optimize_for_mobile
    optimize_for_mobile(torch.jit.script(M()))._save_for_lite_interpreter(f'{out}/lite.ptl')
except Exception as e: print('lite',e)
try:
    import torch.package as tp
    with tp.PackageExporter(f'{out}/pkg.pt') as pe:
        pe.intern('**'); pe.save_pickle('m','m.pkl',{'w':torch.ones(2)})
except Exception as e: print('package',e)
import glob
bad=0
for p in sorted(glob.glob(out+'/*')):
    try:
        if 'script' in p or 'traced' in p or 'extra' in p or p.endswith('.ptl'): torch.jit.load(p)
        elif 'pkg' in p: tp.PackageImporter(p).load_pickle('m','m.pkl')
        else: torch.load(p)
    except Exception as e: bad+=1; print('LOADFAIL',p,str(e)[:100])
print('ok',bad)
