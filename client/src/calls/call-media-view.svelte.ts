// What the call UI draws of our media and connections, as Svelte state. The
// controller (call-controller.ts) writes it; components read it.
import type { PeerId } from '../../../protocol/index.ts';
import type { LinkState } from './peer-link.ts';

export interface RemoteView {
  peer: PeerId;
  camera: MediaStream;
  /** The shared screen, while there is one. */
  screen: MediaStream | undefined;
  /** A fresh stream whenever the track changes: a media element does not play audio tracks added to its stream later. */
  voice: MediaStream | undefined;
  screenAudio: MediaStream | undefined;
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
