/**
 * The allowlist: EXACT qualified names (`module.qualname`, as pickle writes them) that benign pickles reference,
 * each with what the file may do with it:
 * - `call`: calling it with any arguments only builds data (classes pickles instantiate, reconstructors, pure
 *   functions). A call-level callable that calls or instantiates one of its arguments has a model (models.ts) and
 *   is judged by that argument.
 * - `data`: safe to hold as a value (a function stored as a callback, an enum member); a load-time call of it is
 *   not proven safe (MS-PKL-003).
 *
 * Sources: allowlist.generated.ts (enumerated from the installed numpy/scipy/scikit-learn/torch/pandas/joblib/xgboost
 * by scripts/gen-pickle-allowlist.py), the stdlib entries below (what CPython 3.11's own types reduce to), and the
 * libraries that are not installable here, written from their sources: transformers 4.3x-4.4x (training_args.py,
 * trainer_utils.py, trainer_pt_utils.py, debug_utils.py, trainer_callback.py, generation/configuration_utils.py),
 * accelerate 0.2x-1.x (state.py, utils/dataclasses.py), Lightning 1.x/2.x (fabric/utilities/data.py,
 * pytorch/utilities/parsing.py, trainer/states.py), omegaconf 2.x (dictconfig.py, listconfig.py, base.py, nodes.py),
 * peft 0.x (utils/peft_types.py, tuners/lora/config.py), tokenizers, sentence-transformers 2.x/3.x (models/*),
 * diffusers (configuration_utils.py). No module prefix admits anything; the few name PATTERNS below are confined
 * to configuration/modeling modules and refuse every name a dangerous module defines.
 */
import { GENERATED_CALL, GENERATED_DATA } from './allowlist.generated.js';

export type AllowLevel = 'call' | 'data';

const OPERATOR_ARITHMETIC =
  'add sub mul truediv floordiv mod pow neg pos abs matmul lshift rshift and_ or_ xor inv invert not_ truth ' +
  'eq ne lt le gt ge';

/** Python's own types and the stdlib classes/reconstructors pickles of ordinary objects use (CPython 3.11). */
const STDLIB_CALL: Record<string, string> = {
  builtins:
    'getattr type bool bytearray bytes complex dict float frozenset int list object range set slice str tuple NoneType Ellipsis NotImplemented ' +
    'enumerate zip reversed abs all any bin chr divmod hash hex len max min oct ord pow repr round sorted sum ' +
    'ValueError TypeError KeyError IndexError RuntimeError Exception AttributeError NotImplementedError',
  collections: 'OrderedDict Counter deque defaultdict ChainMap UserDict UserList UserString',
  _collections: 'deque OrderedDict',
  copyreg: '_reconstructor __newobj__ __newobj_ex__',
  _codecs: 'encode',
  datetime: 'date datetime time timedelta timezone tzinfo',
  decimal: 'Decimal Context',
  _decimal: 'Decimal',
  fractions: 'Fraction',
  uuid: 'UUID SafeUUID',
  pathlib: 'Path PosixPath WindowsPath PurePath PurePosixPath PureWindowsPath',
  argparse: 'Namespace',
  types: 'SimpleNamespace',
  array: 'array _array_reconstructor',
  re: '_compile Pattern RegexFlag',
  enum: 'Enum IntEnum Flag IntFlag EnumMeta EnumType StrEnum',
  functools: 'partial',
  _functools: 'partial',
  math: 'inf nan pi e',
  numbers: 'Number Real Integral Complex Rational',
  typing: 'Any Dict List Optional Tuple Union Callable Literal Set FrozenSet Type',
  ipaddress: 'IPv4Address IPv6Address IPv4Network IPv6Network',
  zoneinfo: 'ZoneInfo ZoneInfo._unpickle',
  'zoneinfo._zoneinfo': 'ZoneInfo ZoneInfo._unpickle',
  // pytz (pandas' timezones): _UTC() is the UTC singleton, _p(zone, ...) looks a zone up by name (pytz refuses '..').
  pytz: '_UTC _p UTC utc',
  'pytz.tzinfo': 'DstTzInfo StaticTzInfo BaseTzInfo',
  // dateutil zones (pandas `tz='dateutil/...'`, DateOffset(months=1)): tzfile(None, filename) keeps the name and BUILD
  // restores the parsed transitions; given a str as its first argument it reads that path as a TZif file (a read
  // that raises unless the file starts `TZif`, no code run: borderline, accepted because every dateutil zone pickles
  // this way). tzlocal/tzstr/tzrange parse strings or read time.timezone; _ttinfo, relativedelta and weekday are
  // plain value classes.
  'dateutil.tz.tz': 'tzutc tzoffset tzfile tzlocal tzstr tzrange _ttinfo',
  'dateutil.relativedelta': 'relativedelta',
  'dateutil._common': 'weekday',
  // operator's arithmetic and comparisons (`FunctionTransformer(partial(operator.mul, 2))`, sort keys): each applies
  // one operator to its operands, as numpy's ufuncs do. getitem/attrgetter/itemgetter/methodcaller and the in-place
  // forms are not here: they reach attributes or mutate, and stay as globals.ts judges them.
  _operator: OPERATOR_ARITHMETIC,
  operator: OPERATOR_ARITHMETIC,
  io: 'BytesIO',
  _io: 'BytesIO',
  // Pure decoders: what a pickle uses to rebuild bytes (also followed to find nested pickles).
  zlib: 'decompress',
  gzip: 'decompress',
  base64: 'b64decode standard_b64decode urlsafe_b64decode b32decode b32hexdecode b16decode a85decode b85decode decodebytes',
  binascii: 'a2b_base64 a2b_hex unhexlify a2b_qp a2b_uu a2b_hqx',
  codecs: 'decode encode',
};

/** Members reachable as `builtins.<type>.<method>` (method descriptors pickle as getattr(type, name)): pure methods. */
const BUILTIN_METHODS: Record<string, string> = {
  str:
    'capitalize casefold center count encode endswith expandtabs find index isalnum isalpha isascii isdecimal isdigit ' +
    'isidentifier islower isnumeric isprintable isspace istitle isupper join ljust lower lstrip maketrans partition ' +
    'removeprefix removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip ' +
    'swapcase title translate upper zfill',
  bytes:
    'capitalize center count decode endswith expandtabs find fromhex hex index isalnum isalpha isascii isdigit islower ' +
    'isspace istitle isupper join ljust lower lstrip maketrans partition removeprefix removesuffix replace rfind rindex ' +
    'rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title translate upper zfill',
  bytearray: 'fromhex decode hex',
  int: 'from_bytes to_bytes bit_length bit_count conjugate',
  float: 'fromhex hex is_integer conjugate',
  dict: 'fromkeys get items keys values copy',
  list: 'copy count index',
  tuple: 'count index',
  set: 'union intersection difference symmetric_difference issubset issuperset isdisjoint copy',
  frozenset: 'union intersection difference symmetric_difference issubset issuperset isdisjoint copy',
};

/** Torch reconstructors and tensor-related names the generator cannot see (private functions, C types). */
const TORCH_CALL: Record<string, string> = {
  'torch._utils':
    '_rebuild_tensor _rebuild_tensor_v2 _rebuild_tensor_v3 _rebuild_parameter _rebuild_parameter_with_state ' +
    '_rebuild_qtensor _rebuild_sparse_tensor _rebuild_sparse_csr_tensor _rebuild_nested_tensor ' +
    '_rebuild_device_tensor_from_numpy _rebuild_device_tensor_from_cpu_tensor _rebuild_meta_tensor_no_storage ' +
    '_rebuild_wrapper_subclass _rebuild_xla_tensor _rebuild_mlc_tensor _set_obj_state',
  'torch._tensor': '_rebuild_from_type _rebuild_from_type_v2 Tensor',
  torch: 'Tensor Size device dtype layout memory_format qscheme Generator finfo iinfo',
  'torch.nn.parameter': 'Parameter UninitializedParameter UninitializedBuffer Buffer',
  'torch.storage': 'UntypedStorage TypedStorage _TypedStorage _UntypedStorage',
  'torch.serialization': '_get_layout',
  'torch.jit._pickle': 'build_intlist build_tensorlist build_doublelist build_boollist build_tensor_from_id restore_type_tag',
  'torch.return_types':
    'max min sort topk kthvalue mode median nanmedian var_mean std_mean lu_unpack qr svd slogdet eig aminmax cummax cummin',
  'torch.cuda.amp.grad_scaler': 'GradScaler',
  'torch.amp.grad_scaler': 'GradScaler',
  'torch.nn.utils.rnn': 'PackedSequence',
  'torch.utils.data.sampler': 'RandomSampler SequentialSampler BatchSampler SubsetRandomSampler WeightedRandomSampler',
  'torch.utils.data.dataset': 'TensorDataset Subset ConcatDataset',
  'torch.utils.hooks': 'RemovableHandle',
  'numpy.core.multiarray': '_reconstruct scalar',
  'numpy._core.multiarray': '_reconstruct scalar',
  'numpy.core.numeric': '_frombuffer',
  'numpy._core.numeric': '_frombuffer',
  'numpy.core._multiarray_umath': '_reconstruct scalar',
  'numpy.random._pickle': '__randomstate_ctor __generator_ctor __bit_generator_ctor',
  'numpy.ma.core': '_mareconstruct MaskedArray MaskedConstant',
  'pandas._libs.internals': '_unpickle_block BlockPlacement',
  'pandas.core.internals.blocks': 'new_block Block',
  'pandas.core.indexes.base': '_new_Index',
  // DatetimeIndex/IntervalIndex/PeriodIndex.__reduce__ (pandas core/indexes/*.py): rebuild the index class they are
  // given from a dict of arrays (modelled: the class is judged as called, models.ts).
  'pandas.core.indexes.datetimes': '_new_DatetimeIndex',
  'pandas.core.indexes.interval': '_new_IntervalIndex',
  'pandas.core.indexes.period': '_new_PeriodIndex',
  'pandas._libs.tslibs.timestamps': '_unpickle_timestamp',
  'pandas._libs.tslibs.timedeltas': '_timedelta_unpickle',
  'pandas._libs.tslibs.nattype': '__nat_unpickle',
  'pandas._libs.tslibs.offsets': '_make_offset',
  'pandas._libs.arrays': '__pyx_unpickle_NDArrayBacked',
  'pandas.core.arrays.period': '_period_array_cmp',
  'pandas._libs.tslibs.period': '__pyx_unpickle__Period',
  'joblib.numpy_pickle': 'NumpyArrayWrapper',
  'joblib.numpy_pickle_compat': 'NDArrayWrapper ZNDArrayWrapper',
  'sklearn.neighbors._kd_tree': 'newObj',
  'sklearn.neighbors._ball_tree': 'newObj',
  'sklearn.metrics._dist_metrics': 'newObj',
};

/**
 * Held as data only: Lightning 1.x keys its callback states by the callback CLASS (`{ModelCheckpoint: {...}}`);
 * the class is a dict key, never called at load.
 */
const ML_DATA: Record<string, string> = {
  'pytorch_lightning.callbacks.model_checkpoint': 'ModelCheckpoint',
  'pytorch_lightning.callbacks.early_stopping': 'EarlyStopping',
  'pytorch_lightning.callbacks.lr_monitor': 'LearningRateMonitor',
  'lightning.pytorch.callbacks.model_checkpoint': 'ModelCheckpoint',
  'lightning.pytorch.callbacks.early_stopping': 'EarlyStopping',
};

/** Libraries not installed here, from their sources (see the file comment). Classes are data holders. */
const ML_CALL: Record<string, string> = {
  'transformers.training_args': 'TrainingArguments OptimizerNames ParallelMode',
  'transformers.training_args_seq2seq': 'Seq2SeqTrainingArguments',
  'transformers.training_args_tf': 'TFTrainingArguments',
  'transformers.trainer_utils':
    'IntervalStrategy SaveStrategy EvaluationStrategy HubStrategy SchedulerType FSDPOption ShardedDDPOption ' +
    'HPSearchBackend BestRun EvalPrediction PredictionOutput TrainOutput',
  'transformers.trainer_pt_utils': 'AcceleratorConfig',
  'transformers.debug_utils': 'DebugOption',
  'transformers.trainer_callback': 'TrainerState TrainerControl',
  'transformers.generation.configuration_utils': 'GenerationConfig GenerationMode',
  'transformers.utils.generic': 'ExplicitEnum PaddingStrategy TensorType ModelOutput',
  'transformers.utils.quantization_config': 'BitsAndBytesConfig QuantizationMethod GPTQConfig AwqConfig',
  'transformers.tokenization_utils_base': 'BatchEncoding TruncationStrategy',
  'transformers.configuration_utils': 'PretrainedConfig',
  'transformers.integrations.deepspeed': 'HfTrainerDeepSpeedConfig HfDeepSpeedConfig',
  'accelerate.state': 'PartialState AcceleratorState GradientState ThreadLocalSharedDict',
  'accelerate.utils.dataclasses':
    'DistributedType PrecisionType ComputeEnvironment DynamoBackend SageMakerDistributedType RNGType LoggerType ' +
    'DeepSpeedPlugin FullyShardedDataParallelPlugin GradientAccumulationPlugin DataLoaderConfiguration ' +
    'ProjectConfiguration TorchDynamoPlugin AutocastKwargs DistributedDataParallelKwargs GradScalerKwargs ' +
    'InitProcessGroupKwargs KwargsHandler MegatronLMPlugin FP8RecipeKwargs',
  'lightning_fabric.utilities.data': 'AttributeDict',
  'lightning.fabric.utilities.data': 'AttributeDict',
  'pytorch_lightning.utilities.parsing': 'AttributeDict',
  'lightning.pytorch.utilities.parsing': 'AttributeDict',
  'pytorch_lightning.trainer.states': 'TrainerFn RunningStage TrainerStatus TrainerState',
  'lightning.pytorch.trainer.states': 'TrainerFn RunningStage TrainerStatus TrainerState',
  'omegaconf.dictconfig': 'DictConfig',
  'omegaconf.listconfig': 'ListConfig',
  'omegaconf.base': 'ContainerMetadata Metadata',
  'omegaconf.nodes': 'AnyNode StringNode IntegerNode FloatNode BooleanNode EnumNode PathNode BytesNode ValueNode',
  'peft.utils.peft_types': 'PeftType TaskType',
  'peft.tuners.lora.config': 'LoraConfig LoftQConfig',
  'peft.tuners.lora': 'LoraConfig',
  tokenizers: 'Tokenizer AddedToken',
  'tokenizers.models': 'Model BPE WordPiece Unigram WordLevel',
  'sentence_transformers.models.Transformer': 'Transformer',
  'sentence_transformers.models.Pooling': 'Pooling',
  'sentence_transformers.models.Normalize': 'Normalize',
  'sentence_transformers.models.Dense': 'Dense',
  'sentence_transformers.SentenceTransformer': 'SentenceTransformer',
  'diffusers.configuration_utils': 'FrozenDict',
  // DeepSpeed ZeRO optimizer states (runtime/fp16/loss_scaler.py, runtime/zero/config.py, utils/tensor_fragment.py).
  'deepspeed.runtime.fp16.loss_scaler': 'DynamicLossScaler LossScaler LossScalerBase',
  'deepspeed.runtime.zero.config': 'ZeroStageEnum',
  'deepspeed.utils.tensor_fragment': 'fragment_address',
  'lightgbm.basic': 'Booster',
  'lightgbm.sklearn': 'LGBMClassifier LGBMRegressor LGBMRanker LGBMModel',
  'catboost.core': 'CatBoostClassifier CatBoostRegressor CatBoost',
};

/**
 * Name patterns for model/config classes of libraries with hundreds of models (one module per model): confined
 * to their configuration and modeling modules, CamelCase names only; a name any dangerous module defines is refused
 * before these are tried (globals.ts). Linear regexes (no nested quantifiers).
 */
export const ALLOW_PATTERNS: readonly { pattern: RegExp; level: AllowLevel; source: string }[] = [
  {
    // TorchScript classes (data.pkl of a torch.jit.save archive): `__torch__` is no Python module (CPython's import
    // fails, nothing runs); torch.jit.load's C++ unpickler builds them only from the archive's compiled code/, which
    // the archive scan judges on its own (MS-PT-003).
    pattern: /^__torch__\.[A-Za-z0-9_.]+$/,
    level: 'call',
    source: 'TorchScript script classes (torch/csrc/jit/serialization/unpickler.cpp)',
  },
  {
    pattern: /^transformers\.models\.[a-z0-9_]+\.configuration_[a-z0-9_]+\.[A-Z][A-Za-z0-9]*Config$/,
    level: 'call',
    source: 'transformers model configs (models/<name>/configuration_<name>.py)',
  },
  {
    pattern: /^transformers\.models\.[a-z0-9_]+\.modeling_[a-z0-9_]+\.[A-Z][A-Za-z0-9]*$/,
    level: 'call',
    source: 'transformers model classes and outputs (models/<name>/modeling_<name>.py)',
  },
  {
    pattern: /^transformers\.models\.[a-z0-9_]+\.tokenization_[a-z0-9_]+\.[A-Z][A-Za-z0-9]*Tokenizer(Fast)?$/,
    level: 'call',
    source: 'transformers tokenizers',
  },
  {
    pattern: /^timm\.models\.[a-z0-9_]+\.[A-Z][A-Za-z0-9]*$/,
    level: 'call',
    source: 'timm model classes (timm/models/<name>.py)',
  },
  {
    pattern: /^timm\.layers\.[a-z0-9_]+\.[A-Z][A-Za-z0-9]*$/,
    level: 'call',
    source: 'timm layers (timm/layers/<name>.py)',
  },
  {
    pattern: /^diffusers\.schedulers\.scheduling_[a-z0-9_]+\.[A-Z][A-Za-z0-9]*Scheduler[A-Za-z0-9]*$/,
    level: 'call',
    source: 'diffusers schedulers',
  },
];

/** The tables, each with its level; a name listed at both levels is `call`. */
const TABLES: readonly (readonly [Readonly<Record<string, string>>, AllowLevel])[] = [
  [GENERATED_DATA, 'data'],
  [ML_DATA, 'data'],
  [GENERATED_CALL, 'call'],
  [STDLIB_CALL, 'call'],
  [TORCH_CALL, 'call'],
  [ML_CALL, 'call'],
  [Object.fromEntries(Object.entries(BUILTIN_METHODS).map(([type, methods]) => [`builtins.${type}`, methods])), 'call'],
];

/** The names each listed module has (every table merged), built the first time a name of that module is looked up. */
const byModule = new Map<string, ReadonlyMap<string, AllowLevel>>();

const NO_NAMES: ReadonlyMap<string, AllowLevel> = new Map();

function namesOf(module: string): ReadonlyMap<string, AllowLevel> {
  let names = byModule.get(module);
  if (!names) {
    // Only modules the tables list are remembered: a stream naming a million modules costs no memory here.
    if (!TABLES.some(([table]) => Object.hasOwn(table, module))) return NO_NAMES;
    const merged = new Map<string, AllowLevel>();
    for (const [table, level] of TABLES) {
      if (!Object.hasOwn(table, module)) continue;
      for (const name of (table[module] as string).split(' ')) {
        if (!name) continue;
        if (level === 'call' || !merged.has(name)) merged.set(name, level);
      }
    }
    names = merged;
    byModule.set(module, names);
  }
  return names;
}

/**
 * Names no table admits, whatever a generated table lists (the generator lists every public callable of torch and
 * numpy): the TorchScript loaders compile and run the archive they are handed (what torch.jit.load calls; on the
 * dangerous list, globals.ts); numpy's as_strided reaches memory outside its array (judged as any unlisted call).
 */
const NEVER_ALLOWED: ReadonlySet<string> = new Set([
  'torch.import_ir_module',
  'torch.import_ir_module_from_buffer',
  'torch._C.import_ir_module',
  'torch._C.import_ir_module_from_buffer',
  'torch._C._import_ir_module_from_package',
  'torch._C.PyCapsule.import_ir_module',
  'torch._C.PyCapsule.import_ir_module_from_buffer',
  // numpy's as_strided builds a view with any strides and offset, unchecked against the buffer: an array over
  // arbitrary process memory, to read or (numpy.copyto, ufunc out=) write. torch.as_strided checks its storage bounds.
  'numpy.lib.stride_tricks.as_strided',
]);

/**
 * Every exact allowlisted name (`module.qualname`) and its level. Looked up module by module (each split of the
 * dotted name at a dot), so a process pays only for the modules its pickles name, not for merging ten thousand
 * names at start-up.
 */
export const ALLOWLIST: { get(dotted: string): AllowLevel | undefined } = {
  get(dotted) {
    if (NEVER_ALLOWED.has(dotted)) return undefined;
    let found: AllowLevel | undefined;
    for (let dot = dotted.indexOf('.'); dot >= 0; dot = dotted.indexOf('.', dot + 1)) {
      const level = namesOf(dotted.slice(0, dot)).get(dotted.slice(dot + 1));
      if (level === 'call') return level;
      found ??= level;
    }
    return found;
  },
};
