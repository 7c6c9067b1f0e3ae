import warnings, pickle, os, sys, functools, operator
warnings.simplefilter('ignore')
import numpy as np, joblib, pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn import pipeline, compose, preprocessing, linear_model, ensemble, multioutput, multiclass, feature_selection, model_selection, svm, tree, neighbors, feature_extraction, decomposition, impute, calibration, semi_supervised, isotonic, random_projection, kernel_approximation, metrics, cluster, naive_bayes, discriminant_analysis
out=sys.argv[1]; os.makedirs(out, exist_ok=True)
X, y = make_classification(n_samples=60, n_features=6, n_informative=3, random_state=0)
Xr, yr = make_regression(n_samples=60, n_features=6, random_state=0)
LR=linear_model.LogisticRegression
objs={}
objs['chain']=multioutput.ClassifierChain(LR()).fit(X,np.c_[y,y])
objs['regchain']=multioutput.RegressorChain(linear_model.Ridge()).fit(Xr,np.c_[yr,yr])
objs['moc']=multioutput.MultiOutputClassifier(LR()).fit(X,np.c_[y,y])
objs['mor']=multioutput.MultiOutputRegressor(linear_model.Ridge()).fit(Xr,np.c_[yr,yr])
objs['ovo']=multiclass.OneVsOneClassifier(svm.LinearSVC()).fit(X,y)
objs['ovr']=multiclass.OneVsRestClassifier(LR()).fit(X,y)
objs['occ']=multiclass.OutputCodeClassifier(LR(),random_state=0).fit(X,y)
objs['rfe']=feature_selection.RFE(LR()).fit(X,y)
objs['rfecv']=feature_selection.RFECV(LR(),cv=3).fit(X,y)
objs['sfm']=feature_selection.SelectFromModel(LR()).fit(X,y)
objs['skb']=feature_selection.SelectKBest(feature_selection.f_classif,k=3).fit(X,y)
objs['skb_mi']=feature_selection.SelectKBest(functools.partial(feature_selection.mutual_info_classif, random_state=0),k=3).fit(X,y)
objs['sfs']=feature_selection.SequentialFeatureSelector(LR(),n_features_to_select=2,cv=2).fit(X,y)
objs['gs']=model_selection.GridSearchCV(LR(),{'C':[1,2]},cv=2).fit(X,y)
objs['gs_multi']=model_selection.GridSearchCV(LR(),{'C':[1,2]},cv=2,scoring=['accuracy','f1','roc_auc'],refit='accuracy').fit(X,y)
objs['gs_custom']=model_selection.GridSearchCV(LR(),{'C':[1,2]},cv=2,scoring=metrics.make_scorer(metrics.fbeta_score,beta=2)).fit(X,y)
objs['rs']=model_selection.RandomizedSearchCV(LR(),{'C':[1,2,3]},n_iter=2,cv=2,random_state=0).fit(X,y)
from sklearn.experimental import enable_halving_search_cv
objs["hgs"]=model_selection.HalvingGridSearchCV(LR(),{"C":[1,2]},cv=2).fit(X,y)
objs['stack']=ensemble.StackingClassifier([('lr',LR()),('dt',tree.DecisionTreeClassifier())],cv=2).fit(X,y)
objs['stackr']=ensemble.StackingRegressor([('lr',linear_model.Ridge()),('dt',tree.DecisionTreeRegressor())],cv=2).fit(Xr,yr)
objs['vote']=ensemble.VotingClassifier([('lr',LR()),('nb',naive_bayes.GaussianNB())],voting='soft').fit(X,y)
objs['voter']=ensemble.VotingRegressor([('lr',linear_model.Ridge()),('dt',tree.DecisionTreeRegressor())]).fit(Xr,yr)
objs['selftrain']=semi_supervised.SelfTrainingClassifier(svm.SVC(probability=True)).fit(X,np.where(np.arange(60)%3==0,-1,y))
objs['iso']=isotonic.IsotonicRegression().fit(Xr[:,0],yr)
objs['gammar']=linear_model.GammaRegressor().fit(np.abs(Xr),np.abs(yr)+1)
objs['grp']=random_projection.GaussianRandomProjection(n_components=3).fit(X)
objs['srp']=random_projection.SparseRandomProjection(n_components=3).fit(X)
objs['kc']=preprocessing.KernelCenterer().fit(X@X.T)
objs['cv']=feature_extraction.text.CountVectorizer().fit(["apple banana cherry","banana cherry date","cherry date egg"])
objs['tfidf']=feature_extraction.text.TfidfVectorizer(ngram_range=(1,2),sublinear_tf=True).fit(["apple banana cherry","banana cherry date","cherry date egg"])
objs['tfidf_custom_tok']=feature_extraction.text.TfidfVectorizer(tokenizer=str.split, preprocessor=str.lower, token_pattern=None).fit(["apple banana cherry","banana cherry date"])
objs['hashv']=feature_extraction.text.HashingVectorizer(n_features=16).fit(["a b"])
objs['dictv']=feature_extraction.DictVectorizer().fit([{'a':1,'b':2},{'c':3}])
objs['fh']=feature_extraction.FeatureHasher(n_features=8,input_type='string').fit([["a","b"]])
objs['sparsecoder']=decomposition.SparseCoder(dictionary=np.eye(6)[:3])
objs['calib']=calibration.CalibratedClassifierCV(svm.LinearSVC(),cv=2).fit(X,y)
objs['calib_iso']=calibration.CalibratedClassifierCV(LR(),cv=2,method='isotonic').fit(X,y)
objs['ttr']=compose.TransformedTargetRegressor(regressor=linear_model.Ridge(),func=np.log1p,inverse_func=np.expm1).fit(Xr,np.abs(yr))
objs['ttr2']=compose.TransformedTargetRegressor(regressor=linear_model.Ridge(),transformer=preprocessing.QuantileTransformer(n_quantiles=10)).fit(Xr,yr)
# Pipelines with functions
fts={
 'ft_log1p':preprocessing.FunctionTransformer(np.log1p),
 'ft_abs':preprocessing.FunctionTransformer(np.abs),
 'ft_sqrt':preprocessing.FunctionTransformer(np.sqrt, inverse_func=np.square),
 'ft_clip':preprocessing.FunctionTransformer(functools.partial(np.clip,a_min=0,a_max=1)),
 'ft_partial_round':preprocessing.FunctionTransformer(functools.partial(np.round, decimals=2)),
 'ft_kw':preprocessing.FunctionTransformer(np.power, kw_args={'x2':2}),
 'ft_nan':preprocessing.FunctionTransformer(np.nan_to_num),
 'ft_where':preprocessing.FunctionTransformer(np.float32),
 'ft_astype':preprocessing.FunctionTransformer(np.asarray),
 'ft_hstack':preprocessing.FunctionTransformer(np.atleast_2d),
 'ft_operator':preprocessing.FunctionTransformer(functools.partial(operator.mul, 2)),
 'ft_ravel':preprocessing.FunctionTransformer(np.ravel),
 'ft_exp':preprocessing.FunctionTransformer(np.exp,validate=True),
 'ft_tanh':preprocessing.FunctionTransformer(np.tanh),
 'ft_sign':preprocessing.FunctionTransformer(np.sign),
 'ft_log':preprocessing.FunctionTransformer(np.log),
 'ft_reshape':preprocessing.FunctionTransformer(functools.partial(np.reshape, newshape=(-1,6))),
 'ft_pdabs':preprocessing.FunctionTransformer(pd.DataFrame.abs),
 'ft_none':preprocessing.FunctionTransformer(),
}
for k,ft in fts.items():
    try: objs['pipe_'+k]=pipeline.make_pipeline(ft, preprocessing.StandardScaler(), LR()).fit(np.abs(X)+0.1,y)
    except Exception as e: print(k,e)
df=pd.DataFrame(X,columns=list('abcdef')); df['cat']=np.array(['x','y','z'])[np.arange(60)%3]; df['txt']=['hello world']*60
ct=compose.ColumnTransformer([('num',preprocessing.StandardScaler(),list('abc')),('cat',preprocessing.OneHotEncoder(handle_unknown='ignore'),['cat']),('ord',preprocessing.OrdinalEncoder(),['cat']),('txt',feature_extraction.text.TfidfVectorizer(),'txt'),('sel',preprocessing.FunctionTransformer(np.tanh),compose.make_column_selector(dtype_include=np.number))],remainder='drop')
objs['ct_pipe']=pipeline.Pipeline([('pre',ct),('clf',ensemble.RandomForestClassifier(n_estimators=3,random_state=0))]).fit(df,y)
ct2=compose.make_column_transformer((preprocessing.StandardScaler(),compose.make_column_selector(dtype_include='number')),(preprocessing.OneHotEncoder(),compose.make_column_selector(dtype_exclude='number', pattern='cat')),remainder='passthrough')
objs['ct2']=pipeline.make_pipeline(ct2,LR()).fit(df.drop(columns=['txt']),y)
objs['fu']=pipeline.FeatureUnion([('pca',decomposition.PCA(2)),('kb',feature_selection.SelectKBest(k=2))]).fit(X,y)
objs['fu_pipe']=pipeline.make_pipeline(pipeline.make_union(decomposition.PCA(2),kernel_approximation.Nystroem(n_components=5),kernel_approximation.RBFSampler(n_components=5)),LR()).fit(X,y)
objs['imp_pipe']=pipeline.make_pipeline(impute.SimpleImputer(),impute.KNNImputer(),preprocessing.PolynomialFeatures(2),preprocessing.SplineTransformer(),LR()).fit(X,y)
from sklearn.experimental import enable_iterative_imputer
objs['iter_imp']=impute.IterativeImputer(max_iter=2).fit(X)
objs['df_fitted_lr']=LR().fit(df[list('abcdef')],y)  # feature_names_in_ object array
objs['hgb_cat']=ensemble.HistGradientBoostingClassifier(categorical_features=[0],max_iter=3).fit(np.c_[np.arange(60)%3,X],y)
objs['gbr_huber']=ensemble.GradientBoostingRegressor(loss='huber',n_estimators=3).fit(Xr,yr)
objs['gbc_exp']=ensemble.GradientBoostingClassifier(loss='exponential',n_estimators=3,init=LR()).fit(X,y)
objs['knn_callable']=neighbors.KNeighborsClassifier(metric='manhattan').fit(X,y)
objs['knn_wfunc']=neighbors.KNeighborsClassifier(weights='distance',algorithm='kd_tree').fit(X,y)
objs['nn_haversine']=neighbors.NearestNeighbors(metric='haversine',algorithm='ball_tree').fit(X[:,:2])
objs['nn_mahal']=neighbors.NearestNeighbors(metric='mahalanobis',metric_params={'VI':np.eye(6)},algorithm='ball_tree').fit(X)
objs['nn_minkw']=neighbors.NearestNeighbors(metric='minkowski',p=3,metric_params={'w':np.ones(6)},algorithm='brute').fit(X)
objs['kde']=neighbors.KernelDensity(kernel='epanechnikov').fit(X)
objs['svc_poly']=svm.SVC(kernel='poly',probability=True).fit(X,y)
objs['gp']=__import__('sklearn.gaussian_process',fromlist=['x']).GaussianProcessClassifier().fit(X,y)
from sklearn.gaussian_process import GaussianProcessRegressor, kernels
objs['gpr_kern']=GaussianProcessRegressor(kernel=kernels.RBF()+kernels.WhiteKernel()*kernels.ConstantKernel()+kernels.Matern()+kernels.RationalQuadratic()+kernels.DotProduct()+kernels.ExpSineSquared()).fit(Xr[:20],yr[:20])
objs['gpr_pairwise']=GaussianProcessRegressor(kernel=kernels.PairwiseKernel(metric='laplacian')).fit(Xr[:20],yr[:20])
objs['spectral']=cluster.SpectralClustering(n_clusters=2,affinity='nearest_neighbors',n_neighbors=5).fit(X)
objs['agg']=cluster.AgglomerativeClustering(linkage='single').fit(X)
objs['agg_pool']=cluster.FeatureAgglomeration(n_clusters=2,pooling_func=np.median).fit(X)
objs['birch']=cluster.Birch().fit(X)
objs['dbscan']=cluster.DBSCAN().fit(X)
objs['optics']=cluster.OPTICS(min_samples=3).fit(X)
objs['qda']=discriminant_analysis.QuadraticDiscriminantAnalysis().fit(X,y)
objs['le']=preprocessing.LabelEncoder().fit(['a','b','c'])
objs['mlb']=preprocessing.MultiLabelBinarizer().fit([['a','b'],['c']])
objs['lb']=preprocessing.LabelBinarizer().fit(['a','b','c'])
objs['ohe_df']=preprocessing.OneHotEncoder(sparse_output=False, handle_unknown='infrequent_if_exist',min_frequency=2).fit(df[['cat']]) 
objs['tgt']=preprocessing.KBinsDiscretizer(n_bins=3,encode='onehot',strategy='kmeans').fit(X)
objs['scorer_dict']={'scorer':metrics.get_scorer('neg_log_loss'),'s2':metrics.get_scorer('roc_auc'),'s3':metrics.make_scorer(metrics.mean_squared_error,greater_is_better=False),'s4':metrics.check_scoring(LR(),scoring='r2')}
objs['cv_splitters']=[model_selection.KFold(3,shuffle=True,random_state=0),model_selection.StratifiedKFold(3),model_selection.TimeSeriesSplit(),model_selection.GroupKFold(),model_selection.ShuffleSplit(),model_selection.RepeatedStratifiedKFold(),model_selection.LeaveOneOut(),model_selection.PredefinedSplit([0,1]),model_selection.StratifiedShuffleSplit(),model_selection.check_cv(3)]
objs['cv_results']=model_selection.cross_validate(LR(),X,y,cv=2,return_estimator=True,return_train_score=True)
objs['rand']=np.random.RandomState(0)
objs['gen']=np.random.default_rng(0)
objs['gen_pcg']=np.random.Generator(np.random.PCG64DXSM(1))
objs['gen_mt']=np.random.Generator(np.random.MT19937(1))
objs['gen_philox']=np.random.Generator(np.random.Philox(1))
objs['gen_sfc']=np.random.Generator(np.random.SFC64(1))
objs['seedseq']=np.random.SeedSequence(1)
objs['rs_lr']=LR(random_state=np.random.RandomState(3)).fit(X,y)
objs['sparse_mat']=__import__('scipy.sparse',fromlist=['x']).random(5,5,density=0.3,format='csr')
import scipy.sparse as sp
objs['sparse_all']=[sp.random(4,4,density=.3,format=f) for f in ['csr','csc','coo','bsr','lil','dok','dia']]
try: objs['sparse_arr']=[sp.csr_array(np.eye(3)), sp.coo_array(np.eye(3))]
except Exception as e: print(e)
objs['scipy_dists']=[__import__('scipy.stats',fromlist=['x']).norm(0,1), __import__('scipy.stats',fromlist=['x']).uniform(0,1), __import__('scipy.stats',fromlist=['x']).loguniform(1e-3,1)]
objs['rs_dists']=model_selection.RandomizedSearchCV(LR(),{'C':__import__('scipy.stats',fromlist=['x']).loguniform(1e-2,1e2)},n_iter=2,cv=2,random_state=0).fit(X,y)
objs['interp']=__import__('scipy.interpolate',fromlist=['x']).interp1d([0,1,2],[0,1,4])
objs['spline']=__import__('scipy.interpolate',fromlist=['x']).UnivariateSpline(np.arange(10),np.arange(10)**2)
objs['kdtree_scipy']=__import__('scipy.spatial',fromlist=['x']).cKDTree(X)
objs['kdtree_scipy2']=__import__('scipy.spatial',fromlist=['x']).KDTree(X)
objs['rotation']=__import__('scipy.spatial.transform',fromlist=['x']).Rotation.from_euler('z',30,degrees=True)
for k,o in objs.items():
    if o is None: continue
    for p in (2,3,5):
        try:
            with open(f'{out}/{k}.p{p}.pkl','wb') as f: pickle.dump(o,f,protocol=p)
        except Exception as e: print('pickle',k,p,e)
    joblib.dump(o,f'{out}/{k}.joblib')
# compression variants for some
import lzma
for k in ['ct_pipe','pipe_ft_clip','gs','stack','hgb_cat','knn_wfunc','gen','sparse_all']:
    for c in [0,3,('zlib',3),('gzip',3),('bz2',3),('xz',3),('lzma',3)]:
        nm = c if isinstance(c,int) else c[0]
        ext={'zlib':'.z','gzip':'.gz','bz2':'.bz2','xz':'.xz','lzma':'.lzma'}.get(nm,'')
        joblib.dump(objs[k],f'{out}/{k}.c{nm}.joblib{ext}',compress=c)
    for ext in ['.z','.gz','.bz2','.xz','.lzma']:
        joblib.dump(objs[k],f'{out}/{k}.auto.joblib{ext}')
try:
    import lz4; joblib.dump(objs['gs'],f'{out}/gs.lz4.joblib',compress='lz4'); print('lz4 ok')
except Exception as e: print('lz4',e)
try:
    import skops; print('skops')
except Exception as e: print('no skops')
# verify loads
import glob
bad=0
for p in glob.glob(out+'/*'):
    try: joblib.load(p)
    except Exception as e: bad+=1; print('LOADFAIL',p,e)
print('done',len(objs),bad)
