package exlog

import (
	"strings"
	"time"
)

// Schema is the list of field names in force for a stretch of a log file,
// from a #Fields: directive or a bare CSV header line.
type Schema struct {
	Names []string
	index map[string]int
	// exact holds the names as the header spells them, which is how the
	// checks ask for them: looked up first, without lowering the case.
	exact map[string]int
	// timeField is the index of the record timestamp, -1 when the schema
	// names none (then the first field is tried).
	timeField int
}

// NewSchema builds a schema; names are matched case-insensitively because
// readers of these logs (PowerShell's Import-Csv among them) do.
func NewSchema(names []string) *Schema {
	s := &Schema{Names: names, index: make(map[string]int, len(names)), exact: make(map[string]int, len(names)), timeField: -1}
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if _, dup := s.index[n]; !dup {
			s.index[n] = i
		}
	}
	for _, n := range names {
		// A name spelled in two cases is the first of them, as the
		// case-insensitive lookup says.
		s.exact[strings.TrimSpace(n)] = s.index[strings.ToLower(strings.TrimSpace(n))]
	}
	for _, n := range []string{"datetime", "timestamp", "date-time", "time"} {
		if i, ok := s.index[n]; ok {
			s.timeField = i
			break
		}
	}
	return s
}

// Index returns the position of a field, or -1.
func (s *Schema) Index(name string) int {
	if s == nil {
		return -1
	}
	if i, ok := s.exact[name]; ok {
		return i
	}
	if i, ok := s.index[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// Has reports whether the schema names the field.
func (s *Schema) Has(name string) bool { return s.Index(name) >= 0 }

// ParseTime reads the ISO 8601 UTC timestamps Exchange writes
// (2021-03-03T06:49:42.162Z), with or without fraction or zone, and the IIS
// form with a space.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' {
		return time.Time{}, false
	}
	if s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Default field lists for files whose header is missing (a copy cut from
// the middle of a file, a header lost to truncation).
var (
	// HttpProxyFields is the 74-field list of Exchange 2016 CU22 and 2019,
	// also seen in March 2021 files.
	HttpProxyFields = strings.Split("DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus", ",")
	// ECPServerFields is the ECP Server log field list.
	ECPServerFields = []string{"TimeStamp", "ServerName", "EventId", "EventData"}
)
