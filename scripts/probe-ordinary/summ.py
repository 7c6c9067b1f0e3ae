import json,sys,collections
d=json.load(open(sys.argv[1]))
sev={'info':0,'low':1,'medium':2,'high':3,'critical':4}
c=collections.Counter()
for f in d['files']:
    c[f['verdict']]+=1
    bad=[x for x in f['findings'] if sev.get(x.get('severity'),0)>=2]
    if bad or f['verdict'] not in ('clean','findings') or f['errors']:
        print(f['path'], f['format'], f['verdict'])
        for x in bad: print('   ', x.get('severity'), x.get('ruleId') or x.get('rule'), (x.get('message') or '')[:200])
        for e in f['errors']: print('   ERR', str(e)[:200])
print(c, d['summary'] if 'summary' in d else '')
