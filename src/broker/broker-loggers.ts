/**
 * A broker's loggers as a BROKER_LOGGER config resource (type 8): what DescribeConfigs
 * lists and IncrementalAlterConfigs changes, answered by the receiving broker itself and
 * never stored, as Kafka's `ConfigHelper.describeConfigs` (`Log4jController.loggers`) and
 * `RuntimeLoggerManager.applyChangesForResource` answer them.
 *
 * What an in-process broker can honestly describe: one logger, `root`, the broker's own
 * lines (its log manager's and request stats'), at the level it writes them: the
 * cluster's `logLevel` at start (`debug` for a logger of the user's own, which filters by
 * itself), as log4j names it (DEBUG, INFO, WARN, ERROR; OFF for `silent`). Kafka's
 * per-class log4j loggers have no counterpart here. A SET of `root` changes the level at
 * once for this broker (TRACE writes what DEBUG does, FATAL what ERROR does), within what
 * the cluster's logger lets through; a DELETE of `root` is refused, as Kafka refuses it.
 * @internal
 */
import { brokerLoggerResourceType, type AlterConfigsResource, type AlterConfigsResourceResponse, type DescribeConfigsResource, type DescribeConfigsResult } from '../protocol/admin-items.js';
import type { ErrorCode } from '../util/error-codes.js';
import { LevelledLogger, type LogLevel, type Logger } from '../util/logger.js';

/** Kafka's `Log4jController.ROOT_LOGGER`. */
export const rootLoggerName = 'root';

/** Kafka's `LogLevelConfig.VALID_LOG_LEVELS`, and the level each writes here. */
const validLevels: ReadonlyMap<string, LogLevel> = new Map([
  ['TRACE', 'debug'],
  ['DEBUG', 'debug'],
  ['INFO', 'info'],
  ['WARN', 'warn'],
  ['ERROR', 'error'],
  ['FATAL', 'error'],
]);

const log4jNames: Readonly<Record<LogLevel, string>> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'OFF' };

export class BrokerLoggers {
  /** The broker's logger: its level follows the root logger's. */
  readonly logger: LevelledLogger;
  /** The root logger's level as last set (TRACE stays TRACE), or as the broker started. */
  private rootLevel: string;

  constructor(
    private readonly nodeId: number,
    base: Logger,
  ) {
    this.logger = new LevelledLogger(base);
    this.rootLevel = log4jNames[this.logger.level];
  }

  /** The root logger's level, as DescribeConfigs lists it. */
  get level(): string {
    return this.rootLevel;
  }

  /**
   * DescribeConfigs of a BROKER_LOGGER resource: the loggers named in `configurationKeys`
   * (all when null or empty) with their levels, source DYNAMIC_BROKER_LOGGER_CONFIG, not
   * read-only, no synonyms; INVALID_REQUEST for a name that is empty, not an integer, or
   * another broker's id (Kafka's texts).
   */
  describe(r: DescribeConfigsResource): DescribeConfigsResult {
    const failure = (message: string): DescribeConfigsResult => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 'INVALID_REQUEST', errorMessage: message, configs: [] });
    if (r.resourceName === '') return failure('Broker id must not be empty');
    const id = javaInt(r.resourceName);
    if (id === undefined) return failure(`Broker id must be an integer, but it is: ${r.resourceName}`);
    if (id !== this.nodeId) return failure(`Unexpected broker id, expected ${this.nodeId} but received ${r.resourceName}`);
    const wanted = r.configurationKeys ?? null;
    const names = [rootLoggerName].filter((n) => wanted === null || wanted.length === 0 || wanted.includes(n));
    return {
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      errorCode: 'NONE',
      errorMessage: null,
      configs: names.map((name) => ({ name, value: this.rootLevel, readOnly: false, source: 'DYNAMIC_BROKER_LOGGER_CONFIG' as const, isDefault: false, isSensitive: false, synonyms: [], configType: 0, documentation: null })),
    };
  }

  /**
   * IncrementalAlterConfigs of a BROKER_LOGGER resource, in Kafka's order
   * (`ConfigAdminManager.preprocess`, then `RuntimeLoggerManager`): a config named twice or
   * a SET without a value (INVALID_REQUEST); the resource name this node's id
   * (INVALID_REQUEST); each operation: SET of a logger that exists (INVALID_CONFIG "Logger
   * X does not exist!") to one of Kafka's levels, case as written (INVALID_CONFIG);
   * DELETE of an existing logger other than root (INVALID_REQUEST for root); APPEND and
   * SUBTRACT INVALID_REQUEST. All are checked before any applies; `validateOnly` applies none.
   */
  alter(r: AlterConfigsResource, validateOnly: boolean): AlterConfigsResourceResponse {
    const answer = (errorCode: ErrorCode, errorMessage: string | null): AlterConfigsResourceResponse => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage });
    const names = r.configs.map((c) => c.name);
    if (new Set(names).size !== names.length) return answer('INVALID_REQUEST', 'Error due to duplicate config keys');
    const nulls = r.configs.filter((c) => c.configOperation !== 'DELETE' && c.value === null).map((c) => c.name);
    if (nulls.length > 0) return answer('INVALID_REQUEST', `Null value not supported for : ${nulls.join(', ')}`);
    const id = javaInt(r.resourceName);
    if (id === undefined) return answer('INVALID_REQUEST', `Node id must be an integer, but it is: ${r.resourceName}`);
    if (id !== this.nodeId) return answer('INVALID_REQUEST', `Unexpected node id. Expected ${this.nodeId}, but received ${r.resourceName}`);
    let level: string | undefined;
    for (const c of r.configs) {
      const exists = c.name === rootLoggerName;
      switch (c.configOperation) {
        case 'SET':
          if (!exists) return answer('INVALID_CONFIG', `Logger ${c.name} does not exist!`);
          if (!validLevels.has(c.value!)) {
            return answer('INVALID_CONFIG', `Cannot set the log level of ${c.name} to ${c.value} as it is not a supported log level. Valid log levels are ${[...validLevels.keys()].join(', ')}`);
          }
          level = c.value!;
          break;
        case 'DELETE':
          if (!exists) return answer('INVALID_CONFIG', `Logger ${c.name} does not exist!`);
          return answer('INVALID_REQUEST', `Removing the log level of the ${rootLoggerName} logger is not allowed`);
        default:
          return answer('INVALID_REQUEST', `${c.configOperation} operation is not allowed for the BROKER_LOGGER resource`);
      }
    }
    if (!validateOnly && level !== undefined) {
      this.rootLevel = level;
      this.logger.setLevel(validLevels.get(level)!);
    }
    return answer('NONE', null);
  }
}

/** Whether a resource is a BROKER_LOGGER. */
export const isBrokerLogger = (r: { readonly resourceType: number }): boolean => r.resourceType === brokerLoggerResourceType;

/** Java's `Integer.parseInt` (an optional sign, decimal digits, within int32), or undefined. */
function javaInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}
