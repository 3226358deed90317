/** Every failure of the video pipeline carries a code the UI can map to a message, plus a sentence for humans. */
export type VideoErrorCode =
  | 'FFMPEG_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'EMPTY_FILE'
  | 'NOT_A_VIDEO'
  | 'UNREADABLE'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'DECODE_FAILED'
  | 'BAD_OPTIONS'
  | 'BAD_PREPROCESSOR_CONFIG';

export class VideoError extends Error {
  readonly code: VideoErrorCode;
  constructor(code: VideoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VideoError';
    this.code = code;
  }
}

export function abortError(what: string): VideoError {
  return new VideoError('ABORTED', `${what} was cancelled`);
}
