package mkv

// EBML and Matroska element IDs, with their length-marker bits, as they
// appear in the byte stream.
const (
	idEBML               = 0x1A45DFA3
	idEBMLVersion        = 0x4286
	idEBMLReadVersion    = 0x42F7
	idEBMLMaxIDLength    = 0x42F2
	idEBMLMaxSizeLength  = 0x42F3
	idDocType            = 0x4282
	idDocTypeVersion     = 0x4287
	idDocTypeReadVersion = 0x4285

	idVoid  = 0xEC
	idCRC32 = 0xBF

	idSegment     = 0x18538067
	idSeekHead    = 0x114D9B74
	idInfo        = 0x1549A966
	idTracks      = 0x1654AE6B
	idCluster     = 0x1F43B675
	idCues        = 0x1C53BB6B
	idTags        = 0x1254C367
	idChapters    = 0x1043A770
	idAttachments = 0x1941A469

	// Info children.
	idTimecodeScale = 0x2AD7B1
	idMuxingApp     = 0x4D80
	idWritingApp    = 0x5741
	idTitle         = 0x7BA9
	idSegmentUID    = 0x73A4
	idDuration      = 0x4489
	idDateUTC       = 0x4461

	// Tracks children.
	idTrackEntry       = 0xAE
	idTrackNumber      = 0xD7
	idTrackUID         = 0x73C5
	idTrackType        = 0x83
	idName             = 0x536E
	idCodecID          = 0x86
	idCodecPrivate     = 0x63A2
	idDefaultDuration  = 0x23E383
	idVideo            = 0xE0
	idPixelWidth       = 0xB0
	idPixelHeight      = 0xBA
	idAudio            = 0xE1
	idSamplingFreq     = 0xB5
	idChannels         = 0x9F
	idBitDepth         = 0x6264
	idContentEncodings = 0x6D80

	// Cluster children.
	idTimecode          = 0xE7
	idSimpleBlock       = 0xA3
	idBlockGroup        = 0xA0
	idBlock             = 0xA1
	idBlockDuration     = 0x9B
	idReferenceBlock    = 0xFB
	idPosition          = 0xA7
	idPrevSize          = 0xAB
	idSilentTracks      = 0x5854
	idEncryptedBlock    = 0xAF
	idBlockAdditions    = 0x75A1
	idDiscardPadding    = 0x75A2
	idReferencePriority = 0xFA

	// Tags children.
	idTag        = 0x7373
	idTargets    = 0x63C0
	idSimpleTag  = 0x67C8
	idTagName    = 0x45A3
	idTagString  = 0x4487
	idTagBinary  = 0x4485
	idTagLang    = 0x447A
	idTagDefault = 0x4484
)

// The AWS tag names (spec §4.4).
const (
	TagFragmentNumber     = "AWS_KINESISVIDEO_FRAGMENT_NUMBER"
	TagServerTimestamp    = "AWS_KINESISVIDEO_SERVER_TIMESTAMP"
	TagProducerTimestamp  = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
	TagMillisBehindNow    = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"
	TagContinuationToken  = "AWS_KINESISVIDEO_CONTINUATION_TOKEN"
	TagEndOfFragment      = "AWS_KINESISVIDEO_END_OF_FRAGMENT"
	TagErrorCode          = "AWS_KINESISVIDEO_ERROR_CODE"
	TagErrorID            = "AWS_KINESISVIDEO_ERROR_ID"
	TagExceptionErrorCode = "AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE"
	TagExceptionMessage   = "AWS_KINESISVIDEO_EXCEPTION_MESSAGE"
)
