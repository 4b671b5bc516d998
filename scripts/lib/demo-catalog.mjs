// The demo marketplace's vendors and listings, shaped like the catalogs of China's speech,
// vision and text data vendors (../shared/MARKET.md): speech corpora with hours, speakers and
// dialects, driving video with boxes and tracking, LiDAR, SFT and preference sets, image-text
// pairs. Each listing names its modality's example metadata (libs/dataset) and the fields that
// differ; prices are integer fen. Vendor names carry "(demo)": these are not the companies.

// ---------------------------------------------------------------- offers

const cny = (amount) => ({ amount, currency: 'CNY' });
/** One-time license under `template` (commercial unless said). */
export const once = (amount, template = 'commercial') => ({ license: { template }, pricing: { model: 'one_time', price: cny(amount) } });
export const subscription = (amount, period = 'month', template = 'commercial') => ({ license: { template }, pricing: { model: 'subscription', price: cny(amount), period } });
export const metered = (amount, unit, template = 'commercial') => ({ license: { template }, pricing: { model: 'metered', price: cny(amount), unit } });
export const free = (template = 'cc-by-4.0') => ({ license: { template }, pricing: { model: 'free' } });

// ---------------------------------------------------------------- vendors

export const VENDORS = [
  {
    key: 'aishell',
    name: '希尔贝壳语音数据 / AISHELL Speech Data (demo)',
    email: 'sales@aishell-demo.example.cn',
    profile: { displayNameZh: '希尔贝壳语音数据（演示）', displayNameEn: 'AISHELL Speech Data (demo)', description: '普通话与方言语音识别、语音合成训练数据 / Mandarin and dialect ASR and TTS corpora', website: 'https://aishell-demo.example.cn' },
  },
  {
    key: 'speechocean',
    name: '海天瑞声 / SpeechOcean (demo)',
    email: 'bd@speechocean-demo.example.cn',
    profile: { displayNameZh: '海天瑞声（演示）', displayNameEn: 'SpeechOcean (demo)', description: '多语种语音、图像与文本训练数据 / Multilingual speech, image and text training data', website: 'https://speechocean-demo.example.cn' },
  },
  {
    key: 'datatang',
    name: '数据堂 / Datatang (demo)',
    email: 'sales@datatang-demo.example.cn',
    profile: { displayNameZh: '数据堂（演示）', displayNameEn: 'Datatang (demo)', description: '现成数据集与定制采集标注 / Off-the-shelf datasets and custom collection', website: 'https://datatang-demo.example.cn' },
  },
  {
    key: 'databaker',
    name: '标贝科技 / DataBaker (demo)',
    email: 'data@databaker-demo.example.cn',
    profile: { displayNameZh: '标贝科技（演示）', displayNameEn: 'DataBaker (demo)', description: '语音合成录音棚数据 / Studio TTS recordings', website: 'https://databaker-demo.example.cn' },
  },
  {
    key: 'mindflow',
    name: '曼孚科技 / Mindflow Data (demo)',
    email: 'ad@mindflow-demo.example.cn',
    profile: { displayNameZh: '曼孚科技（演示）', displayNameEn: 'Mindflow Data (demo)', description: '自动驾驶视频、激光雷达与多传感器融合标注 / Autonomous-driving video, LiDAR and sensor-fusion annotation' },
  },
  {
    key: 'testin',
    name: '云测数据 / Testin Data (demo)',
    email: 'ai@testin-demo.example.cn',
    profile: { displayNameZh: '云测数据（演示）', displayNameEn: 'Testin Data (demo)', description: '图像、视频与智能家居场景数据 / Image, video and smart-home data' },
  },
  {
    key: 'molar',
    name: '整数智能 / MolarData (demo)',
    email: 'hello@molar-demo.example.cn',
    profile: { displayNameZh: '整数智能（演示）', displayNameEn: 'MolarData (demo)', description: '点云与多模态标注 / Point-cloud and multimodal annotation' },
  },
  {
    key: 'zhiyan',
    name: '智言语料工坊 / Zhiyan Corpus Lab (demo)',
    email: 'corpus@zhiyan-demo.example.cn',
    profile: { displayNameZh: '智言语料工坊（演示）', displayNameEn: 'Zhiyan Corpus Lab (demo)', description: '指令微调、偏好与长文本语料 / SFT, preference and long-context corpora' },
  },
];

// ---------------------------------------------------------------- listings

const speech = (hours, speakers, extra = {}) => ({ speech: { hours, utterances: Math.round(hours * 800), speakers, ...extra } });
const video = (videos, hours, extra = {}) => ({ video: { videos, hours, frames: Math.round(hours * 3600 * 30), ...extra } });
const image = (images, extra = {}) => ({ image: { images, ...extra } });
const text = (extra) => ({ text: extra });
const dialogue = (extra) => ({ dialogue: extra });
const lidar = (frames, extra = {}) => ({ pointCloud: { frames, ...extra } });

/** [vendor key, modality, fields over the example metadata, offers] */
export const LISTINGS = [
  // ---- AISHELL: Mandarin and dialect speech
  ['aishell', 'speech', {
    title: '普通话朗读语音数据集 1,000 小时', titleEn: 'Mandarin Read Speech Corpus, 1,000 hours',
    description: '2,000 名说话人在安静室内用手机朗读新闻与小说文本，覆盖七大方言区口音，句准确率不低于 98%，说话人均签署单独同意书。',
    languages: ['zh-CN'], domain: 'education', annotationTypes: ['transcription'], tags: ['普通话', 'ASR', '朗读'],
    ...speech(1000, 2000, { dialects: [], accents: ['四川口音 Sichuan accent', '东北口音 Northeastern accent'], styles: ['read'], sampleRateHz: 16000, recordingDevices: ['smartphone'], environments: ['quiet_room'] }),
  }, [once(12_800_000), once(3_000_000, 'research')]],
  ['aishell', 'speech', {
    title: '粤语电话客服语音 500 小时', titleEn: 'Cantonese Call-Center Speech, 500 hours',
    description: '广州与香港呼叫中心真实通话，8 kHz 单声道，逐句转写与说话人分离，手机号与姓名已去标识化。',
    languages: ['yue'], domain: 'telecom', annotationTypes: ['transcription', 'speaker_diarization'], tags: ['粤语', '客服', '电话'],
    ...speech(500, 1200, { dialects: ['粤语 Cantonese'], accents: [], styles: ['conversational'], sampleRateHz: 8000, recordingDevices: ['telephone'], environments: ['call_center'] }),
  }, [once(9_600_000), metered(18_000, 'hour')]],
  ['aishell', 'speech', {
    title: '四川话自由对话语音 300 小时', titleEn: 'Sichuanese Spontaneous Conversation, 300 hours',
    description: '成都、重庆两地说话人两两自由交谈，家庭与办公室环境，四川方言逐字转写。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['transcription'], tags: ['四川话', '方言', '自由对话'],
    ...speech(300, 600, { dialects: ['四川话 Sichuanese'], accents: [], styles: ['spontaneous', 'conversational'], environments: ['home', 'office'], recordingDevices: ['smartphone'] }),
  }, [once(4_500_000)]],
  ['aishell', 'speech', {
    title: '车载语音指令数据 200 小时', titleEn: 'In-Car Voice Command Speech, 200 hours',
    description: '行驶中车内远场麦克风录制的导航、空调、音乐语音指令，含胎噪与风噪，带意图标签。',
    languages: ['zh-CN'], domain: 'automotive', annotationTypes: ['transcription', 'intent'], tags: ['车载', '语音指令', '远场'],
    ...speech(200, 800, { dialects: [], accents: [], styles: ['command'], recordingDevices: ['in_car', 'far_field_array'], environments: ['vehicle'] }),
  }, [once(6_800_000), subscription(900_000, 'quarter')]],
  ['aishell', 'speech', {
    title: '儿童普通话朗读语音 120 小时', titleEn: 'Children\'s Mandarin Read Speech, 120 hours',
    description: '6 至 12 岁儿童朗读课文，监护人单独同意，声音经变声处理后提供，用于教育类语音评测。',
    languages: ['zh-CN'], domain: 'education', annotationTypes: ['transcription', 'phoneme_alignment'], tags: ['儿童', '朗读', '口语评测'],
    compliance: { personalInformation: ['voice', 'minors'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['voice_altered'], crossBorderTransfer: 'restricted' },
    ...speech(120, 400, { dialects: [], accents: [], styles: ['read'], recordingDevices: ['headset'], environments: ['quiet_room'] }),
  }, [once(7_200_000)]],
  ['aishell', 'speech', {
    title: '闽南话与上海话方言语音 150 小时', titleEn: 'Hokkien and Shanghainese Dialect Speech, 150 hours',
    description: '厦门、泉州与上海本地说话人朗读与对话，方言汉字转写并附普通话对照。',
    languages: ['nan', 'wuu'], domain: 'media', annotationTypes: ['transcription', 'translation'], tags: ['闽南话', '上海话', '方言'],
    ...speech(150, 300, { dialects: ['闽南话 Hokkien', '上海话 Shanghainese'], accents: [], styles: ['read', 'conversational'] }),
  }, [once(5_600_000), once(1_500_000, 'research')]],
  ['aishell', 'speech', {
    title: 'AISHELL 开源普通话语音 178 小时', titleEn: 'Open Mandarin Speech, 178 hours',
    description: '400 名说话人，安静环境高保真麦克风录制，可自由用于研究与商用，需署名。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['transcription'], tags: ['开源', '普通话', 'ASR'],
    // Speakers consented to publication under an open license: the data may go abroad.
    compliance: { crossBorderTransfer: 'allowed' },
    ...speech(178, 400, { dialects: [], accents: [], styles: ['read'], recordingDevices: ['desktop_microphone'], environments: ['quiet_room'] }),
  }, [free('cc-by-4.0')]],
  ['aishell', 'speech', {
    title: '远场智能音箱唤醒词数据', titleEn: 'Far-Field Smart Speaker Wake Word Speech',
    description: '客厅与卧室中 1 至 5 米距离录制的唤醒词与指令，麦克风阵列多通道。',
    languages: ['zh-CN'], domain: 'smart_home', annotationTypes: ['transcription'], tags: ['唤醒词', '智能家居', '远场'],
    ...speech(80, 1500, { dialects: [], accents: [], styles: ['command'], channels: 6, recordingDevices: ['smart_speaker', 'far_field_array'], environments: ['home'] }),
  }, [metered(9_000, 'utterance'), once(3_800_000)]],

  // ---- SpeechOcean: multilingual speech and text
  ['speechocean', 'speech', {
    title: 'English Conversational Speech, 200 hours', titleEn: 'English Conversational Speech, 200 hours',
    description: 'Telephone conversations between US and UK English speakers on everyday topics, transcribed with speaker turns and timestamps.',
    languages: ['en-US', 'en-GB'], domain: 'customer_service', annotationTypes: ['transcription', 'speaker_diarization'], tags: ['English', 'ASR', 'telephony'],
    ...speech(200, 420, { dialects: [], accents: ['American English', 'British English'], styles: ['conversational'], sampleRateHz: 8000, recordingDevices: ['telephone'], environments: ['home', 'office'] }),
  }, [once(8_800_000)]],
  ['speechocean', 'speech', {
    title: '日语朗读语音数据 300 小时', titleEn: 'Japanese Read Speech, 300 hours',
    description: '东京与大阪说话人朗读新闻与对话脚本，假名与汉字双层转写。',
    languages: ['ja'], domain: 'general', annotationTypes: ['transcription'], tags: ['日语', 'Japanese', 'ASR'],
    ...speech(300, 500, { dialects: [], accents: [], styles: ['read'] }),
  }, [once(9_900_000)]],
  ['speechocean', 'speech', {
    title: '韩语手机采集语音 200 小时', titleEn: 'Korean Smartphone Speech, 200 hours',
    description: '首尔说话人用手机录制的日常短句与指令，句准确率 97%。',
    languages: ['ko'], domain: 'general', annotationTypes: ['transcription'], tags: ['韩语', 'Korean'],
    ...speech(200, 350, { dialects: [], accents: [], styles: ['read', 'command'] }),
  }, [once(7_500_000)]],
  ['speechocean', 'speech', {
    title: '中英混合口语语音 400 小时', titleEn: 'Mandarin-English Code-Switching Speech, 400 hours',
    description: '互联网与外企从业者在会议中夹杂英文术语的普通话口语，中英文分别转写。',
    languages: ['zh-CN', 'en'], domain: 'general', annotationTypes: ['transcription'], tags: ['中英混合', 'code-switching', '会议'],
    ...speech(400, 900, { dialects: [], accents: [], styles: ['spontaneous'], environments: ['office'], recordingDevices: ['laptop', 'headset'] }),
  }, [once(11_000_000), subscription(1_200_000, 'month')]],
  ['speechocean', 'speech', {
    title: '医疗问诊对话语音 100 小时', titleEn: 'Medical Consultation Speech, 100 hours',
    description: '模拟门诊问诊对话，医生与患者角色，含医学术语词表，健康信息已脱敏。',
    languages: ['zh-CN'], domain: 'healthcare', annotationTypes: ['transcription', 'speaker_diarization', 'named_entity'], tags: ['医疗', '问诊', '对话'],
    compliance: { personalInformation: ['voice', 'health'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['pseudonymized', 'text_redacted'], crossBorderTransfer: 'restricted' },
    ...speech(100, 240, { dialects: [], accents: [], styles: ['conversational'], environments: ['quiet_room'] }),
  }, [once(6_000_000), once(2_000_000, 'evaluation')]],
  ['speechocean', 'text', {
    title: '中英平行语料 500 万句对', titleEn: 'Chinese-English Parallel Corpus, 5M sentence pairs',
    description: '新闻、科技与法律领域人工校对的中英句对，适用于机器翻译训练。',
    languages: ['zh-CN', 'en'], domain: 'media', annotationTypes: ['translation'], tags: ['翻译', 'parallel corpus', 'MT'],
    ...text({ documents: 5_000_000, tokens: 260_000_000, tokenizer: 'cl100k_base', sftPairs: undefined, raterAgreement: undefined }),
  }, [once(15_000_000), metered(2_000, '1k_tokens')]],
  ['speechocean', 'speech', {
    title: '金融客服电话录音 600 小时', titleEn: 'Banking Call-Center Speech, 600 hours',
    description: '银行信用卡与理财客服通话，卡号与身份证号已替换，逐句转写带情感标签。',
    languages: ['zh-CN'], domain: 'finance', annotationTypes: ['transcription', 'emotion'], tags: ['金融', '客服', '电话'],
    compliance: { personalInformation: ['voice', 'financial'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['pseudonymized', 'text_redacted'], crossBorderTransfer: 'restricted' },
    ...speech(600, 1400, { dialects: [], accents: [], styles: ['conversational'], sampleRateHz: 8000, recordingDevices: ['telephone'], environments: ['call_center'] }),
  }, [once(18_000_000), subscription(2_500_000, 'quarter')]],

  // ---- Datatang: broad catalog
  ['datatang', 'speech', {
    title: '普通话手机采集语音 2,000 小时', titleEn: 'Mandarin Smartphone Speech, 2,000 hours',
    description: '全国 34 个省级行政区 5,000 名说话人，手机采集，朗读与自由说话各半。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['transcription'], tags: ['普通话', '手机', 'ASR'],
    ...speech(2000, 5000, { dialects: [], accents: ['各地口音 regional accents'], styles: ['read', 'spontaneous'], recordingDevices: ['smartphone'], environments: ['home', 'office', 'street'] }),
  }, [once(22_000_000), metered(15_000, 'hour')]],
  ['datatang', 'image', {
    title: '人脸关键点图像数据 10 万张', titleEn: 'Facial Keypoints Images, 100,000',
    description: '不同年龄、光照与姿态的人脸图像，106 点关键点标注，采集对象均签署肖像授权。',
    languages: ['zh-CN'], domain: 'security', annotationTypes: ['keypoints'], tags: ['人脸', '关键点', 'face landmarks'],
    compliance: { personalInformation: ['face'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['none'], crossBorderTransfer: 'restricted' },
    ...image(100_000, { scenes: ['faces'], annotatedObjects: 100_000, classes: 1 }),
  }, [once(8_000_000)]],
  ['datatang', 'image', {
    title: '手写中文 OCR 图像 50 万张', titleEn: 'Handwritten Chinese OCR Images, 500,000',
    description: '表单、笔记与试卷中的手写汉字，行级文本框与转写。',
    domain: 'education', annotationTypes: ['ocr_text', 'bounding_box'], tags: ['OCR', '手写', '文档'],
    ...image(500_000, { scenes: ['documents'] }),
  }, [once(9_000_000), metered(3, 'image')]],
  ['datatang', 'image', {
    title: '商超货架商品检测图像', titleEn: 'Retail Shelf Product Detection Images',
    description: '便利店与超市货架照片，SKU 级拉框与价签 OCR，覆盖 1,200 个品类。',
    domain: 'e-commerce', annotationTypes: ['bounding_box', 'ocr_text'], tags: ['商品', '货架', 'retail shelf'],
  }, [once(6_500_000)]],
  ['datatang', 'video', {
    title: '手势识别视频数据 2 万段', titleEn: 'Hand Gesture Videos, 20,000 clips',
    description: '室内外 50 种手势，关键点与动作类别标注，用于智能座舱与家电控制。',
    domain: 'smart_home', annotationTypes: ['keypoints', 'classification'], tags: ['手势', 'gesture'],
    compliance: { personalInformation: ['face'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['face_blurred'], crossBorderTransfer: 'restricted' },
    ...video(20_000, 60, { scenes: ['indoor', 'home'], minResolution: { width: 1280, height: 720 }, maxResolution: { width: 1920, height: 1080 }, frameRate: 30 }),
  }, [once(4_800_000)]],
  ['datatang', 'dialogue', {
    title: '电商客服多轮对话 50 万组', titleEn: 'E-commerce Customer Service Dialogues, 500,000',
    description: '淘宝类店铺售前售后真实对话，意图与槽位标注，订单号与地址已脱敏。',
    languages: ['zh-CN'], domain: 'e-commerce', annotationTypes: ['intent'], tags: ['客服', '多轮对话', '电商'],
    ...dialogue({ dialogues: 500_000, turns: 6_000_000, tokens: 800_000_000, preferencePairs: undefined, raterAgreement: undefined }),
  }, [once(12_000_000), subscription(1_500_000, 'month')]],
  ['datatang', 'speech', {
    title: '老年人普通话语音 300 小时', titleEn: 'Elderly Mandarin Speech, 300 hours',
    description: '60 岁以上说话人朗读与问答，适配适老化语音助手，家庭环境手机采集。',
    languages: ['zh-CN'], domain: 'healthcare', annotationTypes: ['transcription'], tags: ['老年人', '普通话', '适老化'],
    ...speech(300, 700, { dialects: [], accents: [], ageMix: { over60: 1 }, styles: ['read', 'spontaneous'], environments: ['home'] }),
  }, [once(5_200_000)]],
  ['datatang', 'text', {
    title: '中文法律文书语料 200 万篇', titleEn: 'Chinese Legal Documents, 2M',
    description: '公开裁判文书与法规条文，清洗去重，当事人姓名已替换。',
    languages: ['zh-CN'], domain: 'legal', annotationTypes: ['named_entity'], tags: ['法律', '裁判文书', '预训练'],
    ...text({ documents: 2_000_000, tokens: 3_000_000_000, tokenizer: 'qwen2', sftPairs: undefined, raterAgreement: undefined }),
  }, [once(20_000_000), once(5_000_000, 'research')]],

  // ---- DataBaker: studio TTS
  ['databaker', 'speech', {
    title: '中文标准女声语音合成数据 12 小时', titleEn: 'Mandarin Female TTS Voice, 12 hours',
    description: '专业女播音员录音棚录制，48 kHz 24 bit，韵律与音素时长标注。',
    languages: ['zh-CN'], domain: 'media', annotationTypes: ['transcription', 'phoneme_alignment'], tags: ['语音合成', 'TTS', '女声'],
    ...speech(12, 1, { dialects: [], accents: [], genderMix: { female: 1, male: 0 }, styles: ['read'], sampleRateHz: 48000, bitDepth: 24, recordingDevices: ['studio_microphone'], environments: ['studio'] }),
  }, [once(3_500_000)]],
  ['databaker', 'speech', {
    title: '中文男声有声书合成数据 30 小时', titleEn: 'Mandarin Male Audiobook TTS Voice, 30 hours',
    description: '男声演播小说章节，情感丰富，逐句对齐与情感标签。',
    languages: ['zh-CN'], domain: 'media', annotationTypes: ['transcription', 'phoneme_alignment', 'emotion'], tags: ['语音合成', 'TTS', '有声书'],
    ...speech(30, 1, { dialects: [], accents: [], genderMix: { female: 0, male: 1 }, styles: ['read'], sampleRateHz: 48000, bitDepth: 24, recordingDevices: ['studio_microphone'], environments: ['studio'] }),
  }, [once(6_000_000), subscription(600_000, 'year', 'research')]],
  ['databaker', 'speech', {
    title: '粤语女声语音合成数据 10 小时', titleEn: 'Cantonese Female TTS Voice, 10 hours',
    description: '香港女声录音棚录制，粤拼与音素对齐。',
    languages: ['yue-HK'], domain: 'media', annotationTypes: ['transcription', 'phoneme_alignment'], tags: ['粤语', '语音合成', 'TTS'],
    ...speech(10, 1, { dialects: ['粤语 Cantonese'], accents: [], genderMix: { female: 1, male: 0 }, styles: ['read'], sampleRateHz: 48000, bitDepth: 24, recordingDevices: ['studio_microphone'], environments: ['studio'] }),
  }, [once(4_200_000)]],
  ['databaker', 'speech', {
    title: '多情感中文语音合成数据', titleEn: 'Expressive Mandarin TTS, Seven Emotions',
    description: '4 位配音演员七种情感（高兴、悲伤、愤怒等）朗读，情感强度分级。',
    languages: ['zh-CN'], domain: 'customer_service', annotationTypes: ['transcription', 'emotion'], tags: ['语音合成', '情感', 'TTS'],
    ...speech(40, 4, { dialects: [], accents: [], styles: ['read'], sampleRateHz: 48000, recordingDevices: ['studio_microphone'], environments: ['studio'] }),
  }, [once(7_800_000)]],
  ['databaker', 'speech', {
    title: 'English Female TTS Voice, 20 hours', titleEn: 'English Female TTS Voice, 20 hours',
    description: 'A native American English voice talent reading news and dialogue scripts in a studio, phoneme aligned.',
    languages: ['en-US'], domain: 'media', annotationTypes: ['transcription', 'phoneme_alignment'], tags: ['TTS', 'speech synthesis', 'English'],
    ...speech(20, 1, { dialects: [], accents: ['American English'], styles: ['read'], sampleRateHz: 48000, recordingDevices: ['studio_microphone'], environments: ['studio'] }),
  }, [once(5_000_000)]],
  ['databaker', 'speech', {
    title: '客服场景语音合成数据 8 小时', titleEn: 'Customer Service TTS Voice, 8 hours',
    description: '亲切女声录制的客服话术，适合智能外呼。',
    languages: ['zh-CN'], domain: 'customer_service', annotationTypes: ['transcription'], tags: ['语音合成', '外呼', '客服'],
    ...speech(8, 1, { dialects: [], accents: [], styles: ['read'], sampleRateHz: 24000, recordingDevices: ['studio_microphone'], environments: ['studio'] }),
  }, [metered(120_000, 'hour')]],

  // ---- Mindflow: autonomous driving
  ['mindflow', 'video', {
    title: '城市道路行车视频 拉框与目标跟踪', titleEn: 'Urban Driving Video with Boxes and Tracking',
    description: '上海与广州城市道路 1080p 行车记录视频，车辆、行人、非机动车拉框与跨帧跟踪 ID，人脸与车牌已模糊。',
    domain: 'automotive', annotationTypes: ['bounding_box', 'tracking'], tags: ['自动驾驶', '行车记录', 'ADAS'],
  }, [once(50_000_000), metered(8, 'frame')]],
  ['mindflow', 'video', {
    title: '高速公路夜间驾驶视频', titleEn: 'Highway Night Driving Video',
    description: '夜间与雨天高速公路前视摄像头视频，车道线折线与车辆拉框。',
    domain: 'automotive', annotationTypes: ['bounding_box', 'polyline'], tags: ['自动驾驶', '夜间', '车道线'],
    ...video(3_000, 200, { scenes: ['driving'], frameRate: 30 }),
  }, [once(28_000_000)]],
  ['mindflow', 'video', {
    title: '自动泊车环视视频数据', titleEn: 'Surround-View Parking Video',
    description: '地下与地面停车场四路鱼眼环视，车位角点与可行驶区域分割。',
    domain: 'automotive', annotationTypes: ['keypoints', 'segmentation'], tags: ['自动泊车', '环视', 'APA'],
    ...video(5_000, 120, { scenes: ['parking'] }),
  }, [once(19_000_000)]],
  ['mindflow', 'point_cloud', {
    title: '激光雷达点云 3D 框标注数据', titleEn: 'LiDAR Point Clouds with 3D Boxes',
    description: '128 线机械激光雷达，北京城区，3D 框与跟踪标注，7 路同步相机。',
    domain: 'automotive', annotationTypes: ['cuboid_3d', 'tracking'], tags: ['激光雷达', 'LiDAR', '3D检测'],
  }, [once(68_000_000), subscription(6_000_000, 'quarter')]],
  ['mindflow', 'point_cloud', {
    title: '4D 毫米波雷达与相机融合数据', titleEn: '4D Radar and Camera Fusion Dataset',
    description: '4D 毫米波雷达点云与前视相机同步，雨雾天气目标 3D 框。',
    domain: 'automotive', annotationTypes: ['cuboid_3d'], tags: ['毫米波雷达', '传感器融合', 'radar'],
    ...lidar(60_000, { sensors: ['radar'], beams: undefined, synchronizedCameras: 1 }),
  }, [once(35_000_000)]],
  ['mindflow', 'image', {
    title: '交通标志识别图像 30 万张', titleEn: 'Traffic Sign Recognition Images, 300,000',
    description: '全国道路交通标志，200 类，拉框与类别标注。',
    domain: 'transportation', annotationTypes: ['bounding_box', 'classification'], tags: ['交通标志', 'traffic sign'],
    ...image(300_000, { scenes: ['street', 'driving'], classes: 200 }),
  }, [once(5_500_000), free('cdla-permissive-2.0')]],
  ['mindflow', 'video', {
    title: 'Driver Monitoring Video, 1,000 drivers', titleEn: 'Driver Monitoring Video, 1,000 drivers',
    description: 'In-cabin infrared video of drivers yawning, phoning and looking away, with behaviour labels and facial keypoints.',
    languages: ['zh-CN'], domain: 'automotive', annotationTypes: ['keypoints', 'classification'], tags: ['DMS', 'driver monitoring', '疲劳驾驶'],
    compliance: { personalInformation: ['face'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['none'], crossBorderTransfer: 'restricted' },
    ...video(8_000, 400, { scenes: ['driving'] }),
  }, [once(24_000_000)]],
  ['mindflow', 'point_cloud', {
    title: '矿区无人驾驶激光雷达数据', titleEn: 'Mining Autonomous Haulage LiDAR',
    description: '露天矿区宽体车激光雷达点云，矿卡、挖机与落石 3D 框。',
    domain: 'energy', annotationTypes: ['cuboid_3d', 'segmentation'], tags: ['矿区', '无人驾驶', 'LiDAR'],
    ...lidar(40_000, { scenes: ['industrial'] }),
  }, [once(30_000_000)]],

  // ---- Testin: images and video
  ['testin', 'image', {
    title: '工业质检缺陷图像 8 万张', titleEn: 'Industrial Defect Inspection Images, 80,000',
    description: '3C 结构件与钢板表面划痕、凹坑、脏污，多边形与语义分割。',
    domain: 'manufacturing', annotationTypes: ['polygon', 'segmentation'], tags: ['工业质检', '缺陷检测', 'defect'],
    ...image(80_000, { scenes: ['industrial'], classes: 12 }),
  }, [once(9_800_000)]],
  ['testin', 'image', {
    title: '电力巡检无人机图像', titleEn: 'Power Line Drone Inspection Images',
    description: '输电线路无人机巡检照片，绝缘子、防震锤与鸟巢缺陷拉框，国网与南网线路。',
    domain: 'energy', annotationTypes: ['bounding_box'], tags: ['电力巡检', '无人机', '输电线路'],
    ...image(120_000, { scenes: ['aerial', 'industrial'] }),
  }, [once(15_000_000), subscription(2_000_000, 'quarter')]],
  ['testin', 'image', {
    title: '医学 CT 肺结节分割数据', titleEn: 'Chest CT Lung Nodule Segmentation',
    description: '三甲医院胸部 CT，放射科医生勾画肺结节，患者信息已匿名化。',
    domain: 'healthcare', annotationTypes: ['segmentation'], tags: ['医学影像', 'CT', '肺结节'],
    compliance: { personalInformation: ['health'], legalBasis: 'separate_consent', consentRecordsKept: true, deidentification: ['anonymized', 'metadata_stripped'], crossBorderTransfer: 'restricted' },
    ...image(20_000, { scenes: ['medical'] }),
  }, [once(40_000_000), once(8_000_000, 'research')]],
  ['testin', 'video', {
    title: '室内家居场景视频 语义分割', titleEn: 'Indoor Home Scene Video, Segmentation',
    description: '扫地机器人视角的家居视频，家具与地面逐帧语义分割。',
    domain: 'smart_home', annotationTypes: ['segmentation'], tags: ['扫地机器人', '家居', '语义分割'],
    ...video(2_000, 50, { scenes: ['home', 'indoor'] }),
  }, [once(7_000_000)]],
  ['testin', 'image', {
    title: '农作物病虫害识别图像', titleEn: 'Crop Pest and Disease Images',
    description: '水稻、小麦、玉米叶片病虫害田间照片，农技专家分类与拉框。',
    domain: 'agriculture', annotationTypes: ['classification', 'bounding_box'], tags: ['农业', '病虫害', 'crop disease'],
    ...image(60_000, { scenes: ['agriculture', 'outdoor'] }),
  }, [once(3_600_000), free('cc-by-4.0')]],
  ['testin', 'video', {
    title: '安防监控行人重识别视频', titleEn: 'Surveillance Person Re-identification Video',
    description: '园区多摄像头监控视频，行人拉框与跨摄像头身份关联，人脸已模糊。',
    domain: 'security', annotationTypes: ['bounding_box', 'tracking'], tags: ['安防', '行人重识别', 'ReID'],
    compliance: { personalInformation: ['face', 'location'], legalBasis: 'statutory_duty', deidentification: ['face_blurred'], crossBorderTransfer: 'restricted' },
    ...video(6_000, 300, { scenes: ['surveillance'] }),
  }, [once(16_000_000)]],
  ['testin', 'image', {
    title: '身份证与票据 OCR 图像', titleEn: 'ID Card and Invoice OCR Images',
    description: '合成与真实票据、增值税发票、银行回单，字段级 OCR 与关键信息抽取。',
    domain: 'finance', annotationTypes: ['ocr_text', 'named_entity'], tags: ['OCR', '票据', '发票'],
    ...image(200_000, { scenes: ['documents'] }),
  }, [metered(5, 'image'), once(6_000_000)]],
  ['testin', 'video', {
    title: 'Sports Action Recognition Video', titleEn: 'Sports Action Recognition Video',
    description: 'Basketball, football and table tennis broadcast clips with action classes and player tracking.',
    domain: 'media', annotationTypes: ['classification', 'tracking'], tags: ['sports', 'action recognition', '体育'],
    ...video(10_000, 150, { scenes: ['sports'] }),
  }, [once(5_400_000)]],

  // ---- MolarData: point clouds and multimodal
  ['molar', 'point_cloud', {
    title: '室内三维重建点云数据', titleEn: 'Indoor 3D Reconstruction Point Clouds',
    description: '住宅与办公室结构光扫描点云，房间结构与家具实例分割。',
    domain: 'smart_home', annotationTypes: ['instance_segmentation'], tags: ['三维重建', '点云', 'indoor'],
    ...lidar(15_000, { sensors: ['structured_light', 'depth_camera'], scenes: ['indoor', 'home'] }),
  }, [once(12_000_000)]],
  ['molar', 'point_cloud', {
    title: '城市道路点云语义分割', titleEn: 'Urban Road Point Cloud Semantic Segmentation',
    description: '64 线激光雷达城市道路点云，逐点 20 类语义分割。',
    domain: 'automotive', annotationTypes: ['segmentation'], tags: ['点云', '语义分割', 'LiDAR'],
    ...lidar(50_000, { beams: 64, scenes: ['street', 'driving'] }),
  }, [once(26_000_000), metered(20, 'frame')]],
  ['molar', 'multimodal', {
    title: '中文图文对数据 1,000 万组', titleEn: 'Chinese Image-Text Pairs, 10M',
    description: '中文网页与电商图片配高质量中文描述，已过滤低质与侵权内容，适合多模态大模型预训练。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['caption'], tags: ['图文对', 'image-text pairs', 'VLM'],
  }, [once(30_000_000), subscription(3_000_000, 'month')]],
  ['molar', 'multimodal', {
    title: '视频问答多模态指令数据', titleEn: 'Video Question Answering Instructions',
    description: '短视频配多轮中文问答与时间戳，面向视频理解大模型的指令微调。',
    languages: ['zh-CN'], domain: 'media', annotationTypes: ['question_answer', 'caption'], tags: ['视频问答', 'VQA', 'SFT'],
    multimodal: { components: ['video', 'text'], alignment: 'synchronized', pairs: 200_000 },
    image: undefined, ...video(200_000, 800), text: { documents: 200_000, tokens: 90_000_000 },
  }, [once(18_000_000)]],
  ['molar', 'multimodal', {
    title: '文档图像理解问答数据', titleEn: 'Document Image Understanding QA',
    description: '财报、合同与表格截图配中文问答，考查版面与数字理解。',
    languages: ['zh-CN', 'en'], domain: 'finance', annotationTypes: ['question_answer', 'ocr_text'], tags: ['文档理解', 'DocVQA', '表格'],
    multimodal: { components: ['image', 'text'], alignment: 'paired', pairs: 300_000 },
    image: { images: 300_000, scenes: ['documents'] }, text: { documents: 300_000, tokens: 60_000_000 },
  }, [once(9_000_000), once(2_000_000, 'evaluation')]],
  ['molar', 'multimodal', {
    title: '具身智能机器人操作数据', titleEn: 'Embodied Robot Manipulation Episodes',
    description: '机械臂抓取与摆放的多视角视频、关节状态与中文指令同步记录。',
    languages: ['zh-CN'], domain: 'manufacturing', annotationTypes: ['caption', 'keypoints'], tags: ['具身智能', '机器人', 'embodied AI'],
    multimodal: { components: ['video', 'text'], alignment: 'synchronized', pairs: 50_000 },
    image: undefined, ...video(50_000, 300, { scenes: ['industrial', 'indoor'] }), text: { documents: 50_000, tokens: 5_000_000 },
  }, [once(45_000_000)]],
  ['molar', 'point_cloud', {
    title: '无人机航测点云数据', titleEn: 'Drone Survey Point Clouds',
    description: '城市与乡村航测激光点云，建筑、植被与地面分类。',
    domain: 'government', annotationTypes: ['segmentation', 'classification'], tags: ['航测', '测绘', '点云'],
    ...lidar(8_000, { scenes: ['aerial'] }),
  }, [once(14_000_000)]],

  // ---- Zhiyan: text, SFT, preference
  ['zhiyan', 'text', {
    title: '中文金融问答 SFT 数据 50 万条', titleEn: 'Chinese Financial QA SFT, 500,000 pairs',
    description: '持证从业人员撰写的基金、保险与银行产品问答指令对，双人复核。',
    languages: ['zh-CN'], domain: 'finance', annotationTypes: ['question_answer'], tags: ['SFT', '金融问答', 'instruction tuning'],
  }, [once(16_000_000), subscription(2_000_000, 'month')]],
  ['zhiyan', 'dialogue', {
    title: '中文多轮对话偏好数据 12 万对', titleEn: 'Chinese Multi-turn Preference Pairs, 120,000',
    description: '同一对话两个候选回复的人类偏好排序，三名标注员独立打分，用于 RLHF 与 DPO。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['preference_ranking'], tags: ['偏好数据', 'RLHF', 'DPO'],
  }, [once(25_000_000), once(6_000_000, 'research')]],
  ['zhiyan', 'text', {
    title: '中文长文本理解语料 128K', titleEn: 'Chinese Long-Context Corpus, 128K tokens',
    description: '书籍、年报与长篇报告整理成 32K 至 128K token 的长文档，附摘要与跨段问答。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['question_answer'], tags: ['长文本', 'long context', '预训练'],
    ...text({ documents: 40_000, tokens: 3_200_000_000, tokenizer: 'qwen2', sftPairs: undefined, raterAgreement: undefined }),
  }, [once(38_000_000)]],
  ['zhiyan', 'text', {
    title: '政务问答知识库 SFT 数据', titleEn: 'Government Services QA SFT',
    description: '社保、公积金、户籍与税务办事指南改写的问答对，覆盖 31 个省份政策。',
    languages: ['zh-CN'], domain: 'government', annotationTypes: ['question_answer'], tags: ['政务', 'SFT', '办事指南'],
    ...text({ documents: 150_000, tokens: 60_000_000, sftPairs: 150_000, tokenizer: 'qwen2' }),
  }, [once(9_000_000)]],
  ['zhiyan', 'text', {
    title: '电力行业知识问答数据', titleEn: 'Power Industry Knowledge QA',
    description: '电网调度、变电运维与安全规程问答对，由电力工程师撰写与审核。',
    languages: ['zh-CN'], domain: 'energy', annotationTypes: ['question_answer'], tags: ['电力', '能源', 'SFT'],
    ...text({ documents: 80_000, tokens: 30_000_000, sftPairs: 80_000, tokenizer: 'qwen2' }),
  }, [once(12_000_000), once(3_000_000, 'evaluation')]],
  ['zhiyan', 'text', {
    title: '通信运营商客服知识问答', titleEn: 'Telecom Operator Customer Service QA',
    description: '套餐、携号转网、宽带报修等运营商业务问答，适合客服大模型微调。',
    languages: ['zh-CN'], domain: 'telecom', annotationTypes: ['question_answer', 'intent'], tags: ['通信', '运营商', 'SFT'],
    ...text({ documents: 120_000, tokens: 40_000_000, sftPairs: 120_000, tokenizer: 'qwen2' }),
  }, [once(10_000_000), subscription(1_000_000, 'month')]],
  ['zhiyan', 'text', {
    title: 'Chinese Math Reasoning Chain-of-Thought', titleEn: 'Chinese Math Reasoning Chain-of-Thought',
    description: 'Middle-school and olympiad math problems with step-by-step Chinese solutions checked by teachers. 数学推理思维链。',
    languages: ['zh-CN', 'en'], domain: 'education', annotationTypes: ['question_answer'], tags: ['math', 'reasoning', 'CoT', '数学'],
    ...text({ documents: 300_000, tokens: 150_000_000, sftPairs: 300_000, tokenizer: 'cl100k_base' }),
  }, [once(14_000_000), metered(1_500, '1k_tokens')]],
  ['zhiyan', 'dialogue', {
    title: '心理咨询多轮对话数据', titleEn: 'Counseling Multi-turn Dialogues',
    description: '持证心理咨询师撰写的模拟来访者对话，情绪与意图标注，不含真实来访者信息。',
    languages: ['zh-CN'], domain: 'healthcare', annotationTypes: ['emotion', 'intent'], tags: ['心理咨询', '多轮对话', '情感'],
    ...dialogue({ dialogues: 20_000, turns: 400_000, tokens: 60_000_000, preferencePairs: undefined, raterAgreement: undefined }),
  }, [once(8_500_000)]],
  ['zhiyan', 'text', {
    title: '中文代码指令微调数据', titleEn: 'Chinese Code Instruction Tuning Data',
    description: 'Python、Java 与 SQL 编程题的中文指令与参考实现，单元测试验证通过。',
    languages: ['zh-CN', 'en'], domain: 'general', annotationTypes: ['question_answer'], tags: ['代码', 'code', 'SFT'],
    ...text({ documents: 200_000, tokens: 120_000_000, sftPairs: 200_000, tokenizer: 'cl100k_base' }),
  }, [once(11_000_000)]],
  ['zhiyan', 'text', {
    title: '中文安全对齐红队数据', titleEn: 'Chinese Safety Alignment Red-Team Prompts',
    description: '涵盖违法、歧视、隐私等风险类别的对抗提示与安全回复，附偏好排序。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['preference_ranking', 'classification'], tags: ['安全对齐', '红队', 'RLHF'],
    ...text({ documents: 60_000, tokens: 20_000_000, sftPairs: 60_000, raterAgreement: 0.84, tokenizer: 'qwen2' }),
  }, [once(13_000_000), once(4_000_000, 'evaluation')]],
  ['zhiyan', 'text', {
    title: '开放中文百科问答数据', titleEn: 'Open Chinese Encyclopedia QA',
    description: '百科词条改写的常识问答对，可自由使用与再分发。',
    languages: ['zh-CN'], domain: 'general', annotationTypes: ['question_answer'], tags: ['开源', '百科', '问答'],
    ...text({ documents: 1_000_000, tokens: 200_000_000, sftPairs: 1_000_000, tokenizer: 'qwen2' }),
  }, [free('cdla-permissive-2.0')]],
  ['zhiyan', 'dialogue', {
    title: '教育辅导多轮对话 SFT', titleEn: 'Tutoring Multi-turn Dialogue SFT',
    description: 'K12 学科辅导师生对话，苏格拉底式追问，教研老师审核。',
    languages: ['zh-CN'], domain: 'education', annotationTypes: ['question_answer'], tags: ['教育', '辅导', '多轮对话'],
    ...dialogue({ dialogues: 80_000, turns: 900_000, tokens: 150_000_000, preferencePairs: undefined, raterAgreement: undefined }),
  }, [once(9_500_000), subscription(900_000, 'month', 'research')]],
];
