/**
 * The words buyers filter on. Each list is defined once, with its type; filters, validation,
 * facets and the OpenAPI document all read them from here.
 */

/**
 * What one record of the dataset is. `dialogue` is multi-turn conversation (SFT chats, call
 * centre logs), apart from `text` (documents, pairs); `multimodal` names its components.
 */
export const MODALITIES = ['speech', 'image', 'video', 'text', 'dialogue', 'point_cloud', 'multimodal'] as const;
export type Modality = (typeof MODALITIES)[number];

/** Modalities a multimodal dataset can be made of. */
export const COMPONENT_MODALITIES = ['speech', 'image', 'video', 'text', 'dialogue', 'point_cloud'] as const;
export type ComponentModality = (typeof COMPONENT_MODALITIES)[number];

/** The buyer's industry the data serves; the largest buyers in China's procurement come first. */
export const DOMAINS = [
  'telecom',
  'energy',
  'education',
  'finance',
  'government',
  'automotive',
  'healthcare',
  'e-commerce',
  'manufacturing',
  'transportation',
  'legal',
  'media',
  'agriculture',
  'security',
  'smart_home',
  'customer_service',
  'general',
] as const;
export type Domain = (typeof DOMAINS)[number];

export const ANNOTATION_TYPES = [
  'classification',
  'bounding_box',
  'rotated_box',
  'polygon',
  'polyline',
  'keypoints',
  'segmentation',
  'instance_segmentation',
  'cuboid_3d',
  'tracking',
  'ocr_text',
  'caption',
  'transcription',
  'phoneme_alignment',
  'speaker_diarization',
  'emotion',
  'intent',
  'named_entity',
  'sentiment',
  'translation',
  'question_answer',
  'preference_ranking',
] as const;
export type AnnotationType = (typeof ANNOTATION_TYPES)[number];

export const COLLECTION_METHODS = [
  'crowdsourced_recording',
  'studio_recording',
  'field_capture',
  'vehicle_fleet',
  'call_center_logs',
  'web_crawl',
  'licensed_publications',
  'user_generated',
  'expert_authored',
  'machine_generated',
  'public_records',
] as const;
export type CollectionMethod = (typeof COLLECTION_METHODS)[number];

/** How speech was produced: read prompts, free talk, two-party conversation, voice commands. */
export const SPEECH_STYLES = ['read', 'spontaneous', 'conversational', 'command'] as const;
export type SpeechStyle = (typeof SPEECH_STYLES)[number];

export const RECORDING_DEVICES = [
  'smartphone',
  'headset',
  'desktop_microphone',
  'studio_microphone',
  'far_field_array',
  'smart_speaker',
  'in_car',
  'telephone',
  'laptop',
] as const;
export type RecordingDevice = (typeof RECORDING_DEVICES)[number];

export const RECORDING_ENVIRONMENTS = ['quiet_room', 'studio', 'office', 'home', 'vehicle', 'street', 'public_place', 'call_center'] as const;
export type RecordingEnvironment = (typeof RECORDING_ENVIRONMENTS)[number];

/** The unit a transcription accuracy is measured on: sentence accuracy 98 % is stricter than character accuracy 98 %. */
export const ACCURACY_LEVELS = ['sentence', 'word', 'character'] as const;
export type AccuracyLevel = (typeof ACCURACY_LEVELS)[number];

export const SCENES = [
  'driving',
  'parking',
  'street',
  'retail',
  'faces',
  'documents',
  'medical',
  'industrial',
  'indoor',
  'outdoor',
  'aerial',
  'agriculture',
  'surveillance',
  'sports',
  'home',
] as const;
export type Scene = (typeof SCENES)[number];

export const LIDAR_SENSORS = ['mechanical_lidar', 'solid_state_lidar', 'radar', 'depth_camera', 'structured_light'] as const;
export type LidarSensor = (typeof LIDAR_SENSORS)[number];

/** How the parts of a multimodal record belong together. */
export const MULTIMODAL_ALIGNMENTS = ['paired', 'interleaved', 'synchronized'] as const;
export type MultimodalAlignment = (typeof MULTIMODAL_ALIGNMENTS)[number];

/** Personal information in the data, in the categories of China's PIPL. `none` stands alone. */
export const PERSONAL_INFORMATION_CATEGORIES = [
  'none',
  'name',
  'contact',
  'id_number',
  'voice',
  'face',
  'biometric',
  'location',
  'health',
  'financial',
  'minors',
  'vehicle_plate',
] as const;
export type PersonalInformationCategory = (typeof PERSONAL_INFORMATION_CATEGORIES)[number];

/**
 * Sensitive personal information under PIPL art. 28 (biometrics, medical health, financial
 * accounts, whereabouts, minors under 14): processing it needs separate consent (art. 29).
 */
export const SENSITIVE_PERSONAL_INFORMATION: readonly PersonalInformationCategory[] = [
  'id_number',
  'voice',
  'face',
  'biometric',
  'location',
  'health',
  'financial',
  'minors',
];

/** The legal basis for processing personal information (PIPL art. 13). */
export const LEGAL_BASES = [
  'consent',
  'separate_consent',
  'contract',
  'statutory_duty',
  'public_interest',
  'publicly_disclosed',
  'not_applicable',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

export const DEIDENTIFICATION_METHODS = [
  'none',
  'anonymized',
  'pseudonymized',
  'text_redacted',
  'face_blurred',
  'plate_blurred',
  'voice_altered',
  'metadata_stripped',
] as const;
export type DeidentificationMethod = (typeof DEIDENTIFICATION_METHODS)[number];

/**
 * Whether the data may leave mainland China: `allowed` (no personal or important data, or a
 * completed export procedure), or `restricted` (stays in mainland China unless the buyer
 * completes the CAC export procedure itself).
 */
export const CROSS_BORDER_TRANSFER = ['allowed', 'restricted'] as const;
export type CrossBorderTransfer = (typeof CROSS_BORDER_TRANSFER)[number];
