export {
  ERROR_CODE_NAMES,
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeSpec,
  type ExitCode,
  exitCodeFor,
  httpStatusFor,
  isErrorCode,
} from './codes.js';
export { type ErrorDetails, type ErrorJson, isModelsecError, ModelsecError, toModelsecError } from './modelsec-error.js';
