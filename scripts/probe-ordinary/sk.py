import warnings, pickle, os, sys, functools, io
warnings.simplefilter('ignore')
import numpy as np, joblib
from sklearn.utils import all_estimators
from sklearn.datasets import make_classification, make_regression
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
X, y = make_classification(n_samples=60, n_features=6, n_informative=3, random_state=0)
Xp = np.abs(X)
Xr, yr = make_regression(n_samples=60, n_features=6, random_state=0)
ok=0; fail=[]
for name, cls in all_estimators():
    try:
        est = cls()
    except Exception as e:
        fail.append((name,'init',str(e)[:60])); continue
    fitted=None
    for (a,b) in [(X,y),(Xp,y),(Xr,yr),(X,None),(Xp,None),(X, np.c_[y,y])]:
        try:
            e2 = cls()
            if b is None: e2.fit(a)
            else: e2.fit(a,b)
            fitted=e2; break
        except Exception as e:
            pass
    if fitted is None:
        # text
        try:
            e2=cls(); e2.fit(["a b c","b c d","c d e"]*5, [0,1,0]*5); fitted=e2
        except Exception:
            try:
                e2=cls(); e2.fit(["a b c","b c d","c d e"]*5); fitted=e2
            except Exception:
                try:
                    e2=cls(); e2.fit([{"a":1,"b":2},{"a":3}]); fitted=e2
                except Exception:
                    try:
                        e2=cls(); e2.fit([["a","b"],["b"]]); fitted=e2
                    except Exception as e:
                        fail.append((name,'fit',str(e)[:60])); continue
    ok+=1
    with open(f'{out}/{name}.p4.pkl','wb') as f: pickle.dump(fitted,f,protocol=4)
    with open(f'{out}/{name}.p2.pkl','wb') as f: pickle.dump(fitted,f,protocol=2)
    joblib.dump(fitted, f'{out}/{name}.joblib')
print(ok, 'ok', len(fail), 'fail', file=sys.stderr)
for f in fail: print(f, file=sys.stderr)
