import warnings, os, sys, decimal, datetime, fractions, uuid, pathlib
warnings.simplefilter('ignore')
import numpy as np, pandas as pd
out=sys.argv[1]; os.makedirs(out, exist_ok=True)
n=6
df=pd.DataFrame({
 'i':np.arange(n),'f':np.linspace(0,1,n),'b':[True,False]*3,'s':list('abcdef'),
 'cat':pd.Categorical(list('xyxyxy')),'ocat':pd.Categorical(list('abcabc'),ordered=True),
 'dt':pd.date_range('2020-01-01',periods=n),'dttz':pd.date_range('2020-01-01',periods=n,tz='Europe/Paris'),
 'dtutc':pd.date_range('2020-01-01',periods=n,tz='UTC'),
 'td':pd.to_timedelta(np.arange(n),unit='s'),'per':pd.period_range('2020-01',periods=n,freq='M'),
 'iv':pd.interval_range(0,n),'sp':pd.arrays.SparseArray([0,0,1,0,2,0]),
 'str':pd.array(list('abcdef'),dtype='string'),'I64':pd.array([1,None,3,4,5,6],dtype='Int64'),
 'bool':pd.array([True,None,False,True,True,False],dtype='boolean'),'F':pd.array([1.0,None,2,3,4,5],dtype='Float64'),
 'u8':np.arange(n,dtype='uint8'),'c':np.arange(n)+1j,
 'dec':[decimal.Decimal('1.5')]*n,'obj':[{'a':1},[1,2],(1,),None,b'x',1.5],
 'date':[datetime.date(2020,1,i+1) for i in range(n)],'time':[datetime.time(1,i) for i in range(n)],
 'frac':[fractions.Fraction(1,i+1) for i in range(n)],
 'uuid':[uuid.UUID(int=i) for i in range(n)],
 'path':[pathlib.PurePosixPath('/a/b')]*n,
 'pdt':[pd.Timestamp('2020-01-01',tz='US/Eastern')]*n,
 'dttz2':pd.date_range('2020-01-01',periods=n,tz=datetime.timezone(datetime.timedelta(hours=2))),
})
objs={'df_all':df}
try:
    import dateutil.tz; objs['df_dateutil']=pd.DataFrame({'t':pd.date_range('2020',periods=3,tz=dateutil.tz.gettz('Europe/Berlin'))})
except Exception as e: print(e)
try:
    import pytz; objs['df_pytz']=pd.DataFrame({'t':pd.date_range('2020',periods=3,tz=pytz.timezone('Asia/Tokyo'))})
except Exception as e: print(e)
try:
    import zoneinfo; objs['df_zoneinfo']=pd.DataFrame({'t':pd.date_range('2020',periods=3,tz=zoneinfo.ZoneInfo('America/New_York'))})
except Exception as e: print('zoneinfo',e)
mi=pd.MultiIndex.from_product([['a','b'],[1,2,3]],names=['l1','l2'])
objs['mi']=pd.DataFrame({'v':np.arange(6)},index=mi)
objs['mi_cols']=pd.DataFrame(np.zeros((2,6)),columns=mi)
objs['series_cat']=pd.Series(pd.Categorical(['a','b']))
objs['series_per']=pd.Series(pd.period_range('2020',periods=3,freq='Q'))
objs['idx']=[pd.RangeIndex(5),pd.Index([1.5]),pd.DatetimeIndex(['2020-01-01']),pd.TimedeltaIndex(['1d']),pd.PeriodIndex(['2020-01'],freq='M'),pd.IntervalIndex.from_breaks([0,1,2]),pd.CategoricalIndex(['a']),pd.Index(['a'],dtype='string'),pd.Index([True,False]),pd.Index([1,2],dtype='Int64')]
objs['offsets']=[pd.offsets.Day(),pd.offsets.BusinessDay(2),pd.offsets.MonthEnd(),pd.offsets.Week(weekday=1),pd.offsets.Hour(),pd.offsets.QuarterBegin(startingMonth=1),pd.offsets.CustomBusinessDay(holidays=['2020-01-01']),pd.offsets.DateOffset(months=1),pd.offsets.YearEnd(),pd.offsets.Minute(5),pd.offsets.Nano(1)]
objs['scalars']=[pd.NaT,pd.NA,pd.Timestamp('2020'),pd.Timedelta('1d'),pd.Period('2020'),pd.Interval(0,1),np.datetime64('2020'),np.timedelta64(1,'D'),np.float16(1),np.longdouble(1),np.bool_(True),np.str_('a'),np.bytes_(b'a'),np.void(b'ab')]
objs['groupby_res']=df.groupby('cat')['f'].agg(['mean','sum'])
objs['pivot']=pd.pivot_table(pd.DataFrame({'a':list('xxyy'),'b':list('pqpq'),'v':[1,2,3,4]}),index='a',columns='b',values='v')
objs['df_attrs']=pd.DataFrame({'a':[1]}); objs['df_attrs'].attrs={'source':'x','when':datetime.datetime(2020,1,1)}
objs['styler_free_json']=pd.DataFrame({'a':[1]}).to_dict()
objs['sparse_df']=pd.DataFrame({'a':pd.arrays.SparseArray([0.0,1.0],fill_value=0.0)})
objs['arrow_free_strings']=pd.Series(['a',None],dtype='string')
objs['dict_of_df']={'train':df[['i','f']],'test':df[['i','f']]}
objs['rolling']=df['f'].rolling(2).mean()
objs['ewm_res']=df['f'].ewm(span=2).mean()
objs['resampled']=pd.Series(np.arange(6),index=pd.date_range('2020',periods=6,freq='H')).resample('2H').sum()
objs['flags']=pd.DataFrame({'a':[1]}).set_flags(allows_duplicate_labels=False)
for k,o in objs.items():
    for ext in ['.pkl','.pkl.gz','.pkl.bz2','.pkl.xz','.pkl.zip','.pickle']:
        try:
            if hasattr(o,'to_pickle'): o.to_pickle(f'{out}/{k}{ext}')
            else: pd.to_pickle(o,f'{out}/{k}{ext}')
        except Exception as e: print('ERR',k,ext,e)
    for p in (2,3,4):
        pd.to_pickle(o,f'{out}/{k}.p{p}.pkl',protocol=p)
import glob
bad=0
for p in glob.glob(out+'/*'):
    try: pd.read_pickle(p)
    except Exception as e: bad+=1; print('LOADFAIL',p,e)
print('ok',bad)
