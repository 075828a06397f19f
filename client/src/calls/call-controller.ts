// The browser side of a call: our microphone, camera and screen, one
// PeerLink per other participant, the bitrate budget applied to every video
// sender, and who is speaking. The rules (who connects, limits, budget) come
// from lib/calls; this module only carries them out with WebRTC and media devices.
import type { PeerId } from '../../../protocol/index.ts';
import type { Calls } from '../lib/calls/calls.ts';
import type { IceCandidate, TrackRole } from '../lib/calls/envelopes.ts';
import { defaultUploadBudget, isPolite, videoEncodings } from '../lib/calls/mesh.ts';
import { safetyCode } from '../lib/calls/safety.ts';
import { CallMediaView } from './call-media-view.svelte.ts';
import { PeerLink } from './peer-link.ts';
import { SpeakingMeter } from './speaking.ts';

export interface JoinOptions {
  camera: boolean;
  hideAddress: boolean;
}

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

interface Remote {
  link: PeerLink;
  camera: MediaStream;
  screen: MediaStream;
  voice: MediaStream | undefined;
  screenAudio: MediaStream | undefined;
  safety: string | undefined;
}

export class CallController extends CallMediaView {
  readonly #calls: Calls;
  readonly #roomId: string;
  readonly #remotes = new Map<PeerId, Remote>();
  readonly #tracks = new Map<TrackRole, MediaStreamTrack | null>();
  /** The microphone stays open while muted (nothing is sent) only to warn a person who talks. */
  #mic: MediaStreamTrack | null = null;
  #hideAddress = false;
  #meter: SpeakingMeter | undefined;

  constructor(calls: Calls, roomId: string) {
    super();
    this.#calls = calls;
    this.#roomId = roomId;
  }

  /** Asks for the devices (only now, never on page load) and joins with what works. */
  async join(options: JoinOptions): Promise<'joined' | 'full'> {
    if (this.#calls.wouldBeFull) return 'full';
    this.#hideAddress = options.hideAddress;
    this.#meter = new SpeakingMeter(
      () =>
        Promise.all([...this.#remotes].map(async ([peer, { link }]) => [peer, await link.remoteVoiceLevel()] as const)),
      (speaking, self) => this.#heard(speaking, self),
    );
    const stream = await this.#openDevices(options.camera);
    this.#mic = stream?.getAudioTracks()[0] ?? null;
    const camera = stream?.getVideoTracks()[0] ?? null;
    this.#tracks.set('mic', this.#mic);
    this.#tracks.set('camera', camera);
    this.preview = camera ? new MediaStream([camera]) : undefined;
    if (this.#mic) this.#meter.watch('self', this.#mic);
    void this.#listDevices();
    this.#calls.attach({
      description: (from, envelope) => void this.#remote(from)?.link.description(envelope),
      candidates: (from, candidates) => void this.#remote(from)?.link.candidates(candidates),
      targetsChanged: (targets) => this.#connect(targets),
    });
    const result = await this.#calls.join({ camera: camera !== null, muted: this.#mic === null });
    if (result === 'full') this.#release();
    return result;
  }

  async leave(): Promise<void> {
    this.#release();
    await this.#calls.leave();
  }

  /** Muting sends nothing (the sender's track is removed); the microphone stays open locally only for the warning. */
  async setMuted(muted: boolean): Promise<void> {
    if (!this.#mic) return;
    this.#tracks.set('mic', muted ? null : this.#mic);
    await this.#everyLink((link) => link.setTrack('mic', muted ? null : this.#mic));
    if (!muted) this.talkingWhileMuted = false;
    await this.#calls.update({ muted });
  }

  /** Camera off stops the camera (its light goes out); on asks for it again. */
  async setCamera(on: boolean): Promise<void> {
    const current = this.#tracks.get('camera');
    if (on && !current) {
      const track = await this.#getTrack('video', this.#preferred('videoinput'));
      if (!track) return;
      this.#useTrack('camera', track);
    } else if (!on && current) {
      current.stop();
      this.#useTrack('camera', null);
    } else return;
    await this.#calls.update({ camera: on });
  }

  async setScreen(on: boolean): Promise<void> {
    if (!on) return this.#stopScreen();
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
    } catch {
      return; // the person chose not to share
    }
    const [video] = stream.getVideoTracks();
    if (!video) return;
    video.contentHint = 'detail';
    video.addEventListener('ended', () => void this.#stopScreen());
    this.#useTrack('screen', video);
    this.#useTrack('screen-audio', stream.getAudioTracks()[0] ?? null);
    await this.#calls.update({ screen: true });
  }

  /** A device switch is a replaceTrack on every connection: nothing is renegotiated. */
  async switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    if (kind === 'audiooutput') return void (this.speakerId = deviceId);
    const role = kind === 'audioinput' ? 'mic' : 'camera';
    const old = role === 'mic' ? this.#mic : this.#tracks.get('camera');
    if (!old) return;
    const track = await this.#getTrack(kind === 'audioinput' ? 'audio' : 'video', deviceId);
    if (!track) return;
    old.stop();
    if (role === 'mic') {
      this.#mic = track;
      this.#meter?.watch('self', track);
      if (this.#calls.own.muted) return;
    }
    this.#useTrack(role, track);
  }

  #useTrack(role: TrackRole, track: MediaStreamTrack | null): void {
    this.#tracks.set(role, track);
    if (role === 'camera') this.preview = track ? new MediaStream([track]) : undefined;
    void this.#everyLink((link) => link.setTrack(role, track));
    this.#applyBudget();
  }

  async #stopScreen(): Promise<void> {
    for (const role of ['screen', 'screen-audio'] as const) {
      this.#tracks.get(role)?.stop();
      this.#useTrack(role, null);
    }
    await this.#calls.update({ screen: false });
  }

  async #openDevices(camera: boolean): Promise<MediaStream | undefined> {
    const attempts: MediaStreamConstraints[] = camera
      ? [{ audio: true, video: true }, { audio: true }, { video: true }]
      : [{ audio: true }];
    for (const constraints of attempts) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        this.problem = attempts.indexOf(constraints) === 0 ? '' : missingText(constraints);
        return stream;
      } catch {
        // try with less
      }
    }
    this.problem = 'No microphone or camera could be used (missing or refused): you are in the call to listen.';
    return undefined;
  }

  async #getTrack(kind: 'audio' | 'video', deviceId: string | undefined): Promise<MediaStreamTrack | undefined> {
    const constraint = deviceId ? { deviceId: { exact: deviceId } } : true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraint });
      return kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    } catch {
      this.problem =
        kind === 'video' ? 'The camera could not be used (missing or refused).' : 'The microphone could not be used.';
      return undefined;
    }
  }

  #preferred(kind: DeviceKind): string | undefined {
    return this.devices.find((device) => device.kind === kind)?.deviceId || undefined;
  }

  async #listDevices(): Promise<void> {
    this.devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  }

  #remote(peer: PeerId): Remote | undefined {
    return this.#remotes.get(peer);
  }

  #connect(targets: readonly PeerId[]): void {
    const wanted = new Set(targets);
    for (const [peer, remote] of this.#remotes) {
      if (wanted.has(peer)) continue;
      remote.link.close();
      this.#remotes.delete(peer);
    }
    const self = this.#calls.selfId();
    for (const peer of wanted)
      if (!this.#remotes.has(peer) && self) this.#remotes.set(peer, this.#newRemote(self, peer));
    this.#applyBudget();
    this.#publish();
  }

  #newRemote(self: PeerId, peer: PeerId): Remote {
    const config: RTCConfiguration = {
      iceServers: this.#calls.info.iceServers,
      iceTransportPolicy: this.#hideAddress ? 'relay' : 'all',
    };
    const link = new PeerLink(isPolite(self, peer), config, this.#tracks, {
      sendDescription: (type, sdp, roles) => this.#calls.sendDescription(peer, type, sdp, roles),
      sendCandidates: (candidates: IceCandidate[]) => this.#calls.sendCandidates(peer, candidates),
      changed: () => this.#linkChanged(peer),
    });
    return {
      link,
      camera: new MediaStream(),
      screen: new MediaStream(),
      voice: undefined,
      screenAudio: undefined,
      safety: undefined,
    };
  }

  #linkChanged(peer: PeerId): void {
    const remote = this.#remotes.get(peer);
    if (!remote) return;
    const tracks = remote.link.remoteTracks;
    syncVideo(remote.camera, tracks.get('camera'));
    syncVideo(remote.screen, tracks.get('screen'));
    remote.voice = audioStream(remote.voice, tracks.get('mic'));
    remote.screenAudio = audioStream(remote.screenAudio, tracks.get('screen-audio'));
    void this.#updateSafety(remote);
    this.#applyBudget();
    this.#publish();
  }

  async #updateSafety(remote: Remote): Promise<void> {
    const { localFingerprint, remoteFingerprint } = remote.link;
    if (remote.safety || !localFingerprint || !remoteFingerprint) return;
    remote.safety = await safetyCode(this.#roomId, localFingerprint, remoteFingerprint);
    this.#publish();
  }

  #applyBudget(): void {
    const roles = (['camera', 'screen'] as const).filter((role) => this.#tracks.get(role));
    const encodings = videoEncodings(defaultUploadBudget, this.#remotes.size, roles);
    for (const { link } of this.#remotes.values()) {
      for (const [role, encoding] of encodings) void link.setEncoding(role, encoding);
    }
  }

  async #everyLink(action: (link: PeerLink) => Promise<void>): Promise<void> {
    await Promise.allSettled([...this.#remotes.values()].map(({ link }) => action(link)));
  }

  #publish(): void {
    this.remotes = [...this.#remotes].map(([peer, remote]) => ({
      peer,
      camera: remote.camera,
      screen: remote.screen.getVideoTracks().length > 0 ? remote.screen : undefined,
      voice: remote.voice,
      screenAudio: remote.screenAudio,
      state: remote.link.state,
      safety: remote.safety,
    }));
  }

  #heard(speaking: ReadonlySet<string>, selfSpeaking: boolean): void {
    const now = [...speaking];
    if (now.length !== this.speaking.length || now.some((peer) => !this.speaking.includes(peer))) this.speaking = now;
    this.talkingWhileMuted = selfSpeaking && this.#calls.own.muted && this.#mic !== null;
  }

  /** Every device is released and every connection closed. */
  #release(): void {
    this.#calls.attach(undefined);
    for (const remote of this.#remotes.values()) remote.link.close();
    this.#remotes.clear();
    for (const track of this.#tracks.values()) track?.stop();
    this.#mic?.stop();
    this.#mic = null;
    this.#tracks.clear();
    this.#meter?.close();
    this.#meter = undefined;
    this.preview = undefined;
    this.remotes = [];
    this.speaking = [];
    this.talkingWhileMuted = false;
  }
}

function missingText(constraints: MediaStreamConstraints): string {
  return constraints.video
    ? 'The microphone could not be used (missing or refused): you are in the call with your camera only.'
    : 'The camera could not be used (missing or refused): you are in the call with your microphone only.';
}

/** Makes `stream` hold exactly this video track, keeping the object so the element showing it keeps playing. */
function syncVideo(stream: MediaStream, wanted: MediaStreamTrack | undefined): void {
  for (const track of stream.getTracks()) if (track !== wanted) stream.removeTrack(track);
  if (wanted && !stream.getTrackById(wanted.id)) stream.addTrack(wanted);
}

/** The stream for an audio element: the same while the track is, a new one when it changes. */
function audioStream(current: MediaStream | undefined, track: MediaStreamTrack | undefined): MediaStream | undefined {
  if (!track) return undefined;
  return current?.getAudioTracks()[0] === track ? current : new MediaStream([track]);
}
