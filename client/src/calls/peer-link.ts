// One RTCPeerConnection to one other participant, negotiated with the
// "perfect negotiation" pattern: either side may offer at any time (a track
// added, replaced or removed), and when both offer at once the polite side
// rolls back and answers. Descriptions and candidates travel as encrypted
// envelopes through the room; candidates that arrive before the remote
// description are held, and our own are sent in bundles.
//
// A new pair never starts in a collision: the impolite side offers, and the
// polite side sends its voice and camera in its answer on the transceivers
// that offer made (Chromium does not gather candidates on a connection whose
// first offer was rolled back, and such a pair would stay 'new' for good).
import type { IceCandidate, SdpEnvelope, TrackRole } from '../lib/calls/envelopes.ts';
import { maxCandidatesPerBundle } from '../lib/calls/envelopes.ts';
import type { VideoEncoding } from '../lib/calls/mesh.ts';
import { fingerprintOf } from '../lib/calls/safety.ts';

export interface LinkIo {
  sendDescription(type: 'offer' | 'answer', sdp: string, roles: Record<string, TrackRole>): Promise<void>;
  sendCandidates(candidates: IceCandidate[]): Promise<void>;
  changed(): void;
}

/** Candidates found within this long go out together, so signalling stays far below the relay's frame rate. */
const candidateBundleMs = 60;
/** Held candidates beyond this are dropped: a real connection has a few dozen. */
const maxHeldCandidates = 128;
/** ICE restarts on `failed` (or on no connection this long after negotiating) before the tile says the connection failed. */
const maxIceRestarts = 3;
const connectWithinMs = 3000;

const roleKind: Record<TrackRole, 'audio' | 'video'> = {
  mic: 'audio',
  camera: 'video',
  screen: 'video',
  'screen-audio': 'audio',
};

export type LinkState = 'connecting' | 'connected' | 'failed';

export class PeerLink {
  readonly pc: RTCPeerConnection;
  /** What the other side sends, by the role it announced. */
  readonly remoteTracks = new Map<TrackRole, MediaStreamTrack>();
  state: LinkState = 'connecting';
  readonly #polite: boolean;
  readonly #io: LinkIo;
  /** Our sending transceivers by role; mic and camera exist from the start so a device switch never renegotiates. */
  readonly #senders = new Map<TrackRole, RTCRtpTransceiver>();
  readonly #remoteRoles = new Map<string, TrackRole>();
  readonly #tracksByMid = new Map<string, MediaStreamTrack>();
  #makingOffer = false;
  #incoming: Promise<void> = Promise.resolve();
  #ignoreOffer = false;
  #held: IceCandidate[] = [];
  #outgoing: IceCandidate[] = [];
  #bundleTimer: ReturnType<typeof setTimeout> | undefined;
  #restarts = 0;
  #closed = false;
  readonly #watchdog: ReturnType<typeof setInterval>;
  /** The controller's live tracks by role: read when this side starts sending. */
  readonly #tracks: ReadonlyMap<TrackRole, MediaStreamTrack | null>;
  #sending = false;
  /** The received audio's running totals at the last level reading. */
  #voiceReceived = { energy: 0, duration: 0 };
  localFingerprint: string | undefined;
  remoteFingerprint: string | undefined;

  constructor(
    polite: boolean,
    config: RTCConfiguration,
    tracks: ReadonlyMap<TrackRole, MediaStreamTrack | null>,
    io: LinkIo,
  ) {
    this.#polite = polite;
    this.#io = io;
    this.#tracks = tracks;
    this.pc = new RTCPeerConnection(config);
    this.pc.onnegotiationneeded = () => void this.#offer();
    this.pc.onicecandidate = ({ candidate }) => this.#queueCandidate(candidate);
    this.pc.ontrack = ({ transceiver, track }) => {
      if (transceiver.mid !== null) this.#tracksByMid.set(transceiver.mid, track);
      this.#resolveRoles();
    };
    this.pc.onconnectionstatechange = () => this.#connectionChanged();
    // Candidates of an offer that lost a collision can be for ICE credentials that no longer hold; a stable
    // pair that has not connected a while later gathers again with an ICE restart.
    this.#watchdog = setInterval(() => this.#restartIfStuck(), connectWithinMs);
    if (!polite) this.#startSending();
  }

  /**
   * Starts sending our tracks. Voice and camera go on the other side's own voice and camera transceivers where its
   * offer made them (they are two-way), so our answer already carries our media; anything else gets a new one.
   */
  #startSending(): void {
    if (this.#sending || this.#closed) return;
    this.#sending = true;
    for (const role of ['mic', 'camera'] as const) {
      const track = this.#tracks.get(role) ?? null;
      const offered = this.pc
        .getTransceivers()
        .find((transceiver) => transceiver.mid !== null && this.#remoteRoles.get(transceiver.mid) === role);
      if (!offered || offered.receiver.track.kind !== roleKind[role]) {
        this.#addSender(role, track);
        continue;
      }
      offered.direction = 'sendrecv';
      this.#senders.set(role, offered);
      void offered.sender.replaceTrack(track).catch(() => undefined); // a closed connection
    }
    for (const role of ['screen', 'screen-audio'] as const) {
      const track = this.#tracks.get(role);
      if (track) this.#addSender(role, track);
    }
  }

  /** Sends `track` in `role`: a replaceTrack where the transceiver exists, a renegotiation only when it must be added or (screen) turned on or off. */
  async setTrack(role: TrackRole, track: MediaStreamTrack | null): Promise<void> {
    if (!this.#sending) return; // the live tracks are read when sending starts
    const transceiver = this.#senders.get(role);
    if (!transceiver) {
      if (track) this.#addSender(role, track);
      return;
    }
    await transceiver.sender.replaceTrack(track);
    if (role === 'screen' || role === 'screen-audio') {
      const direction = track ? 'sendonly' : 'inactive';
      if (transceiver.direction !== direction) transceiver.direction = direction;
    }
  }

  async setEncoding(role: TrackRole, encoding: VideoEncoding): Promise<void> {
    const sender = this.#senders.get(role)?.sender;
    if (!sender?.track) return;
    const parameters = sender.getParameters();
    const first = parameters.encodings[0];
    if (!first) return;
    if (first.maxBitrate === encoding.maxBitrate && first.scaleResolutionDownBy === encoding.scaleResolutionDownBy)
      return;
    first.maxBitrate = encoding.maxBitrate;
    first.scaleResolutionDownBy = encoding.scaleResolutionDownBy;
    await sender.setParameters(parameters).catch(() => undefined); // mid-negotiation; the next round sets it
  }

  /** Incoming signalling is handled strictly in order: an answer still being applied must not make the next offer look like a collision. */
  description(envelope: SdpEnvelope): Promise<void> {
    return this.#inOrder(() => this.#applyDescription(envelope));
  }

  candidates(candidates: IceCandidate[]): Promise<void> {
    return this.#inOrder(() => this.#applyCandidates(candidates));
  }

  #inOrder(task: () => Promise<void>): Promise<void> {
    this.#incoming = this.#incoming.then(task).catch(() => {
      // A description the browser refuses (e.g. from a broken peer) is dropped; the next one may work.
    });
    return this.#incoming;
  }

  async #applyDescription({ type, sdp, roles }: SdpEnvelope): Promise<void> {
    const collision = type === 'offer' && (this.#makingOffer || this.pc.signalingState !== 'stable');
    this.#ignoreOffer = !this.#polite && collision;
    if (this.#ignoreOffer || this.#closed) return;
    for (const [mid, role] of Object.entries(roles)) this.#remoteRoles.set(mid, role);
    this.remoteFingerprint = fingerprintOf(sdp);
    await this.pc.setRemoteDescription({ type, sdp }); // an offer in collision rolls ours back
    if (type === 'offer') {
      this.#startSending();
      await this.pc.setLocalDescription();
      await this.#sendLocalDescription();
    }
    this.#resolveRoles();
    const held = this.#held;
    this.#held = [];
    for (const candidate of held) await this.#addCandidate(candidate);
  }

  async #applyCandidates(candidates: IceCandidate[]): Promise<void> {
    if (this.#closed) return;
    if (!this.pc.remoteDescription) {
      this.#held.push(...candidates.slice(0, Math.max(0, maxHeldCandidates - this.#held.length)));
      return;
    }
    for (const candidate of candidates) await this.#addCandidate(candidate);
  }

  /**
   * How loud the other's voice was since the last call (RMS, 0 to 1), from the energy of the audio received in
   * between: a level over the whole interval, not one packet's, so short sounds count and a mute (no packets)
   * reads as silence at once.
   */
  async remoteVoiceLevel(): Promise<number> {
    const mic = this.remoteTracks.get('mic');
    const receiver = mic && this.pc.getReceivers().find((candidate) => candidate.track === mic);
    if (!receiver) return 0;
    let received = { energy: 0, duration: 0 };
    for (const report of (await receiver.getStats()).values()) {
      if (report.type !== 'inbound-rtp') continue;
      const { totalAudioEnergy = 0, totalSamplesDuration = 0 } = report as RTCInboundRtpStreamStats;
      received = { energy: totalAudioEnergy, duration: totalSamplesDuration };
    }
    const duration = received.duration - this.#voiceReceived.duration;
    const energy = received.energy - this.#voiceReceived.energy;
    this.#voiceReceived = received;
    return duration > 0 && energy > 0 ? Math.sqrt(energy / duration) : 0;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#bundleTimer);
    clearInterval(this.#watchdog);
    this.pc.close();
  }

  #addSender(role: TrackRole, track: MediaStreamTrack | null): void {
    // Voice and camera are two-way, so the other side can answer on them with its own; a screen is one-way.
    const direction = role === 'mic' || role === 'camera' ? 'sendrecv' : 'sendonly';
    const transceiver = this.pc.addTransceiver(track ?? roleKind[role], { direction });
    if (role === 'screen' && track) track.contentHint = 'detail';
    this.#senders.set(role, transceiver);
  }

  async #offer(): Promise<void> {
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      await this.#sendLocalDescription();
    } catch {
      // A collision or a closed connection; the next negotiationneeded tries again.
    } finally {
      this.#makingOffer = false;
    }
  }

  async #sendLocalDescription(): Promise<void> {
    const local = this.pc.localDescription;
    if (!local || (local.type !== 'offer' && local.type !== 'answer')) return;
    this.localFingerprint = fingerprintOf(local.sdp);
    const roles: Record<string, TrackRole> = {};
    for (const [role, transceiver] of this.#senders) if (transceiver.mid !== null) roles[transceiver.mid] = role;
    await this.#io.sendDescription(local.type, local.sdp, roles);
    this.#io.changed();
  }

  async #addCandidate(candidate: IceCandidate): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      // A candidate for an offer we ignored, or one the browser rejects: neither may stop the call.
    }
  }

  #queueCandidate(candidate: RTCIceCandidate | null): void {
    if (candidate) {
      this.#outgoing.push({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid,
        sdpMLineIndex: candidate.sdpMLineIndex,
      });
    }
    clearTimeout(this.#bundleTimer);
    // The end of gathering (null) sends at once; otherwise wait briefly for the candidates found with this one.
    this.#bundleTimer = setTimeout(() => this.#flushCandidates(), candidate ? candidateBundleMs : 0);
  }

  #flushCandidates(): void {
    while (this.#outgoing.length > 0) void this.#io.sendCandidates(this.#outgoing.splice(0, maxCandidatesPerBundle));
  }

  #resolveRoles(): void {
    this.remoteTracks.clear();
    for (const [mid, track] of this.#tracksByMid) {
      const role = this.#remoteRoles.get(mid);
      if (role && roleKind[role] === track.kind) this.remoteTracks.set(role, track);
    }
    this.#io.changed();
  }

  #restartIfStuck(): void {
    if (!this.pc.remoteDescription) this.#startSending(); // the other side never offered: offer ourselves
    const stuck = ['new', 'connecting'].includes(this.pc.connectionState) && this.pc.signalingState === 'stable';
    if (!stuck || !this.pc.remoteDescription || this.#restarts >= maxIceRestarts) return;
    this.#restarts++;
    this.pc.restartIce();
  }

  #connectionChanged(): void {
    const state = this.pc.connectionState;
    if (state === 'connected') {
      clearInterval(this.#watchdog);
      this.#restarts = 0;
      this.state = 'connected';
    } else if (state === 'failed') {
      if (this.#restarts < maxIceRestarts) {
        this.#restarts++;
        this.pc.restartIce();
      } else this.state = 'failed';
    }
    this.#io.changed();
  }
}
