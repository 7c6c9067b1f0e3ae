import numpy as np, os, sys, pickle, warnings
warnings.simplefilter('ignore')
out=sys.argv[1]; os.makedirs(out,exist_ok=True)
dts=['b1','i1','i2','i4','i8','u1','u2','u4','u8','f2','f4','f8','f16','c8','c16','c32','S5','U5','V4','M8[ns]','M8[D]','m8[s]','>i4','<f8','>c16','|S1','O']
for d in dts:
    try:
        a=np.zeros(3,dtype=d) if d!='O' else np.array([1,'a',None,1.5,(1,2),{'a':1}],dtype=object)
        safe=d.replace('[','_').replace(']','').replace('<','le').replace('>','be').replace('|','p')
        np.save(f'{out}/a_{safe}.npy',a,allow_pickle=True)
        np.save(f'{out}/a2d_{safe}.npy',np.asfortranarray(np.zeros((2,3),dtype=d)) if d!='O' else a,allow_pickle=True)
    except Exception as e: print(d,e)
st=np.zeros(3,dtype=[('name','U10'),('age','i4'),('w','f4',(2,)),('nested',[('a','i2'),('b','S3')])])
np.save(f'{out}/structured.npy',st)
np.save(f'{out}/record.npy',np.rec.array([(1,2.0)],dtype=[('x','i4'),('y','f8')]))
np.save(f'{out}/aligned.npy',np.zeros(2,dtype=np.dtype([('a','u1'),('b','f8')],align=True)))
np.save(f'{out}/titles.npy',np.zeros(2,dtype=np.dtype({'names':['a'],'formats':['i4'],'titles':['A title']})))
np.save(f'{out}/offsets.npy',np.zeros(2,dtype=np.dtype({'names':['a','b'],'formats':['i4','i4'],'offsets':[0,8],'itemsize':16})))
np.save(f'{out}/big.npy',np.zeros((100,100),dtype='f4'))
np.save(f'{out}/scalar0d.npy',np.float64(3))
np.save(f'{out}/empty.npy',np.zeros((0,3)))
np.save(f'{out}/obj_strs.npy',np.array(['a','bb'],dtype=object),allow_pickle=True)
np.save(f'{out}/obj_dict.npy',np.array({'a':np.arange(3),'b':'x'}),allow_pickle=True)
np.save(f'{out}/obj_nested_arr.npy',np.array([np.arange(2),np.arange(3)],dtype=object),allow_pickle=True)
np.save(f'{out}/obj_dt.npy',np.array([__import__('datetime').datetime(2020,1,1)],dtype=object),allow_pickle=True)
np.savez(f'{out}/bundle.npz',a=np.arange(3),b=st,c=np.array(['x']))
np.savez_compressed(f'{out}/bundle_c.npz',a=np.arange(3),b=np.zeros((10,10)))
np.savez(f'{out}/bundle_obj.npz',o=np.array([{'a':1}],dtype=object))
np.savez(f'{out}/positional.npz',np.arange(2),np.arange(3))
import numpy.lib.format as F
with open(f'{out}/v2.npy','wb') as f: F.write_array(f,np.arange(3),version=(2,0))
with open(f'{out}/v3.npy','wb') as f: F.write_array(f,np.zeros(2,dtype=[('é','i4')]),version=(3,0))
np.savetxt(f'{out}/arr.txt',np.eye(3)); np.savetxt(f'{out}/arr.csv',np.eye(3),delimiter=',')
np.arange(10,dtype='f4').tofile(f'{out}/raw.bin')
objs={'rs':np.random.RandomState(0),'gen':np.random.default_rng(1),'state_tuple':np.random.get_state(),'gen_state':np.random.default_rng(1).bit_generator.state,'bitgen':np.random.PCG64(3),'mt':np.random.MT19937(3),'ma':np.ma.masked_array([1,2],mask=[0,1]),'matrix':np.matrix([[1,2]]),'dtypes':[np.dtype('f4'),np.dtype([('a','i4')]),np.dtype('M8[ns]'),np.dtype('U3'),np.dtype('O')],'scalars':[np.float16(1),np.complex64(1),np.datetime64('2020'),np.str_('x'),np.void(b'12'),np.int8(1),np.uint64(1),np.longdouble(2),np.clongdouble(1)],'recarr':np.rec.array([(1,2.0)],dtype=[('x','i4'),('y','f8')]),'chararray':np.char.array(['a']),'memmap_free':np.zeros(2).view(np.ndarray),'ufuncs':[np.add,np.sqrt,np.logical_and],'types':[np.float32,np.int64,np.ndarray],'finfo':np.finfo(np.float32),'iinfo':np.iinfo(np.int8),'poly':np.polynomial.Polynomial([1,2]),'poly1d':np.poly1d([1,2]),'cheb':np.polynomial.Chebyshev([1]),'masked_const':np.ma.masked,'nan_inf':[np.nan,np.inf,np.NINF],'seedseq':np.random.SeedSequence(5)}
for k,o in objs.items():
    for p in (2,4,5):
        with open(f'{out}/{k}.p{p}.pkl','wb') as f: pickle.dump(o,f,protocol=p)
import glob
for p in glob.glob(out+'/*'):
    try:
        if p.endswith('.pkl'): pickle.load(open(p,'rb'))
        elif p.endswith(('.npy','.npz')): np.load(p,allow_pickle=True)
    except Exception as e: print('LOADFAIL',p,e)
