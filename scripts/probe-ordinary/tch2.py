import torch, torch.nn as nn, sys, os, io
out=sys.argv[1]; os.makedirs(out,exist_ok=True)
T={'q':torch.quantize_per_tensor(torch.rand(3),0.1,0,torch.quint8),'qc':torch.quantize_per_channel(torch.rand(2,3),torch.tensor([.1,.2]),torch.tensor([0,0]),0,torch.qint8),
 'coo':torch.rand(3,3).to_sparse(),'csr':torch.rand(3,3).to_sparse_csr(),'cplx':torch.rand(2,dtype=torch.complex64),'bool':torch.ones(2,dtype=torch.bool),'bf16':torch.ones(2,dtype=torch.bfloat16),'f16':torch.ones(2).half(),'i8':torch.ones(2,dtype=torch.int8),'u8':torch.ones(2,dtype=torch.uint8),'f64':torch.ones(2,dtype=torch.float64),'c128':torch.ones(2,dtype=torch.complex128),
 'size':torch.Size([2,3]),'dtype':torch.float32,'device':torch.device('cpu'),'layout':torch.strided,'memfmt':torch.channels_last,'param':nn.Parameter(torch.ones(2)),'noncontig':torch.ones(4,4).t(),'view':torch.ones(10)[2:5],'empty':torch.empty(0),'scalar':torch.tensor(3.0),'reqgrad':torch.ones(2,requires_grad=True),
 'qint32':torch.quantize_per_tensor(torch.rand(3),0.1,0,torch.qint32),'sparse_coalesced':torch.sparse_coo_tensor([[0,1],[1,0]],[1.,2.],(2,2)).coalesce(),
 'finfo':torch.finfo(torch.float32),'iinfo':torch.iinfo(torch.int8),'qscheme':torch.per_tensor_affine,
 'packed':nn.utils.rnn.pack_padded_sequence(torch.ones(3,2,1),[3,2]),'nested_list':[[torch.ones(1)]*2]*2,'storage':torch.ones(3).storage(),'untyped':torch.ones(3).untyped_storage() if hasattr(torch.Tensor,'untyped_storage') else None,
 'int_list':torch.tensor([1,2]).tolist(),'gen_state':torch.Generator().get_state(),'cuda_state_like':[torch.get_rng_state()],
 'dyn_quant':torch.quantization.quantize_dynamic(nn.Sequential(nn.Linear(3,3)),{nn.Linear},dtype=torch.qint8).state_dict(),
 'dyn_quant_model':torch.quantization.quantize_dynamic(nn.Sequential(nn.Linear(3,3)),{nn.Linear},dtype=torch.qint8),
}
import torch.ao.quantization as Q
m=nn.Sequential(Q.QuantStub(),nn.Conv2d(1,1,1),nn.ReLU(),Q.DeQuantStub()).eval(); m.qconfig=Q.get_default_qconfig('fbgemm'); Q.prepare(m,inplace=True); m(torch.rand(1,1,4,4)); Q.convert(m,inplace=True)
T['static_quant_sd']=m.state_dict()
T['static_quant_model']=m
for k,v in T.items():
    if v is None: continue
    for suf,kw in [('.pt',{}),('.legacy.pt',{'_use_new_zipfile_serialization':False})]:
        try: torch.save(v,f'{out}/t_{k}{suf}',**kw)
        except Exception as e: print('save',k,suf,str(e)[:80])
import glob
for p in glob.glob(out+'/*'):
    try: torch.load(p)
    except Exception as e: print('LOADFAIL',p,str(e)[:80]); os.remove(p)
