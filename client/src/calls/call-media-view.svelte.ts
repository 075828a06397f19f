// What the call UI draws of our media and connections, as Svelte state. The
// controller (call-controller.ts) writes it; components read it.
import type { PeerId } from '../../../protocol/index.ts';
import type { LinkState } from './peer-link.ts';

export interface RemoteView {
  peer: PeerId;
  /** Microphone and camera. */
  media: MediaStream;
  /** The shared screen and its audio, while there is one. */
  screen: MediaStream | undefined;
  state: LinkState;
  safety: string | undefined;
}

export class CallMediaView {
  remotes = $state.raw<readonly RemoteView[]>([]);
  /** Our camera, for the mirrored preview. */
  preview = $state.raw<MediaStream | undefined>();
  /** What could not be had, said plainly (a refused camera, no microphone...). */
  problem = $state('');
  devices = $state.raw<readonly MediaDeviceInfo[]>([]);
  speakerId = $state('');
  /** The others speaking now. */
  speaking = $state.raw<readonly string[]>([]);
  /** We are muted and the microphone hears speech. */
  talkingWhileMuted = $state(false);
}
