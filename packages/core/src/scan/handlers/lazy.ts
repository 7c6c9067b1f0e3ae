/**
 * The handler of a detected format, imported when a file of that format is first met: the engine detects first, then
 * loads the one handler it needs, so a scan of one pickle does not evaluate the ONNX, Keras, TF, GGUF, template and
 * code handlers (and what they import) at start-up. The table names, for every format, the module and export that
 * `handlerFor` (handlers/index.ts, which imports them all) returns for it; handlers/lazy.test.ts checks that both
 * answer with the same handler object for every format. `null`: no handler (the engine reports the format as not
 * recognised).
 */
import type { DetectedFormat, FormatHandler } from '../types.js';

type Loader = () => Promise<FormatHandler | undefined>;

const data =
  (format: DetectedFormat): Loader =>
  async () =>
    (await import('./data-formats.js')).DATA_FORMAT_HANDLERS.find((h) => h.formats.includes(format));
const pickle: Loader = async () => (await import('./pickle.js')).pickleHandler;
const pytorchLegacy: Loader = async () => (await import('./pickle.js')).pytorchLegacyHandler;
const pytorchZip: Loader = async () => (await import('./pytorch-zip.js')).pytorchZipHandler;
const pytorchTar: Loader = async () => (await import('./pytorch-tar.js')).pytorchTarHandler;
const tar: Loader = async () => (await import('./pytorch-tar.js')).tarArchiveHandler;
const numpy: Loader = async () => (await import('./numpy.js')).numpyHandler;
const npz: Loader = async () => (await import('./numpy.js')).npzHandler;
const joblib: Loader = async () => (await import('./joblib.js')).joblibHandler;
const safetensors: Loader = async () => (await import('./safetensors.js')).safetensorsHandler;
const gguf: Loader = async () => (await import('./gguf.js')).ggufHandler;
const onnx: Loader = async () => (await import('./onnx.js')).onnxHandler;
const keras: Loader = async () => (await import('./keras.js')).kerasHandler;
const kerasH5: Loader = async () => (await import('./keras-h5.js')).kerasH5Handler;
const tfSavedModel: Loader = async () => (await import('./tf-savedmodel.js')).tfSavedModelHandler;
const tfMetaGraph: Loader = async () => (await import('./tf-savedmodel.js')).tfMetaGraphHandler;
const zip: Loader = async () => (await import('./archives.js')).zipArchiveHandler;
const compressed: Loader = async () => (await import('./archives.js')).gzipHandler;
const uninspectable: Loader = async () => (await import('./archives.js')).uninspectableHandler;
const json: Loader = async () => (await import('./templates.js')).jsonHandler;
const jinja: Loader = async () => (await import('./templates.js')).jinjaHandler;
const python: Loader = async () => (await import('./code.js')).pythonHandler;
const shell: Loader = async () => (await import('./code.js')).shellHandler;
const notebook: Loader = async () => (await import('./code.js')).notebookHandler;
const compiled =
  (format: DetectedFormat): Loader =>
  async () =>
    (await import('./code.js')).EXECUTABLE_HANDLERS.find((h) => h.formats.includes(format));

/** Every format, and how its handler is loaded (a new format fails to compile until it is placed here). */
const LOADERS: { readonly [F in DetectedFormat]: Loader | null } = {
  pickle,
  'pytorch-zip': pytorchZip,
  'pytorch-legacy': pytorchLegacy,
  'pytorch-tar': pytorchTar,
  torchscript: pytorchZip,
  numpy,
  'numpy-npz': npz,
  joblib,
  keras,
  'keras-h5': kerasH5,
  hdf5: kerasH5,
  gguf,
  onnx,
  'tf-savedmodel': tfSavedModel,
  'tf-metagraph': tfMetaGraph,
  safetensors,
  zip,
  tar,
  gzip: compressed,
  bzip2: compressed,
  xz: compressed,
  zstd: compressed,
  '7z': uninspectable,
  rar: uninspectable,
  json,
  jinja,
  python,
  shell,
  notebook,
  unknown: null,
  empty: data('empty'),
  png: data('png'),
  jpeg: data('jpeg'),
  gif: data('gif'),
  webp: data('webp'),
  bmp: data('bmp'),
  tiff: data('tiff'),
  ico: data('ico'),
  wav: data('wav'),
  flac: data('flac'),
  ogg: data('ogg'),
  mp3: data('mp3'),
  svg: data('svg'),
  xml: data('xml'),
  sentencepiece: data('sentencepiece'),
  msgpack: data('msgpack'),
  tflite: data('tflite'),
  'openvino-ir': data('openvino-ir'),
  parquet: data('parquet'),
  'xgboost-ubj': data('xgboost-ubj'),
  'tensorboard-events': data('tensorboard-events'),
  tfrecord: data('tfrecord'),
  arrow: data('arrow'),
  coreml: data('coreml'),
  'coreml-weights': data('coreml-weights'),
  paddle: data('paddle'),
  'paddle-params': data('paddle-params'),
  'ds-store': data('ds-store'),
  'tf-variables-index': data('tf-variables-index'),
  'tf-fingerprint': data('tf-fingerprint'),
  'keras-metadata': data('keras-metadata'),
  'onnx-external-data': data('onnx-external-data'),
  'openvino-weights': data('openvino-weights'),
  'tf-variables-data': data('tf-variables-data'),
  ctranslate2: data('ctranslate2'),
  word2vec: data('word2vec'),
  'xgboost-legacy': data('xgboost-legacy'),
  'mlc-params': data('mlc-params'),
  'tfjs-weights': data('tfjs-weights'),
  text: data('text'),
  pnm: data('pnm'),
  icns: data('icns'),
  jp2: data('jp2'),
  sgi: data('sgi'),
  dds: data('dds'),
  pcx: data('pcx'),
  tga: data('tga'),
  fasttext: data('fasttext'),
  ggml: data('ggml'),
  idx: data('idx'),
  matlab: data('matlab'),
  'matlab-v4': data('matlab-v4'),
  sqlite: data('sqlite'),
  pdf: data('pdf'),
  font: data('font'),
  'gettext-mo': data('gettext-mo'),
  isobmff: data('isobmff'),
  ply: data('ply'),
  stl: data('stl'),
  glb: data('glb'),
  netcdf: data('netcdf'),
  stata: data('stata'),
  wasm: compiled('wasm'),
  elf: compiled('elf'),
  macho: compiled('macho'),
  pe: compiled('pe'),
  pyc: compiled('pyc'),
};

/** Every format the table knows (tests compare the lazy answer with handlerFor's for each). */
export const LAZY_HANDLER_FORMATS = Object.keys(LOADERS) as DetectedFormat[];

/** The handler for a detected format, importing its module on first use; undefined when the format has none. */
export async function loadHandler(format: DetectedFormat): Promise<FormatHandler | undefined> {
  const loader = Object.hasOwn(LOADERS, format) ? LOADERS[format] : null;
  return loader ? loader() : undefined;
}
