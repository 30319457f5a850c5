import type { ConnectionOptions } from './s3/client.js';
import type { OutputOptions } from './output/output.js';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions extends ConnectionOptions, OutputOptions {}
