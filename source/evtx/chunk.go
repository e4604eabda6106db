package evtx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// ChunkHeader is the decoded header of a 64 KiB chunk.
type ChunkHeader struct {
	FirstRecordNumber uint64
	LastRecordNumber  uint64
	FirstRecordID     uint64
	LastRecordID      uint64
	HeaderSize        uint32
	LastRecordOffset  uint32
	FreeSpaceOffset   uint32 // end of the records
	RecordsChecksum   uint32
	Flags             uint32
	HeaderChecksum    uint32
	HeaderChecksumOK  bool
	RecordsChecksumOK bool
}

// AnnouncedRecords is the number of records the header says the chunk holds.
func (h ChunkHeader) AnnouncedRecords() uint64 {
	if h.LastRecordNumber < h.FirstRecordNumber {
		return 0
	}
	return h.LastRecordNumber - h.FirstRecordNumber + 1
}

// Chunk is one 64 KiB chunk of a File. Its methods may be called from
// different goroutines for different chunks.
type Chunk struct {
	file   *File
	Index  int   // slot number after the file header
	Offset int64 // file offset of the chunk
}

// Read loads the chunk and decodes its header, checking both checksums.
// Checksum mismatches are problems, not errors.
func (c *Chunk) Read() ([]byte, ChunkHeader, []Problem, error) {
	data := make([]byte, chunkSize)
	h, problems, err := c.readInto(data)
	if err != nil {
		return nil, h, problems, err
	}
	return data, h, problems, nil
}

// readInto is Read into a buffer of chunkSize bytes.
func (c *Chunk) readInto(data []byte) (ChunkHeader, []Problem, error) {
	n, err := c.file.r.ReadAt(data, c.Offset)
	if n < chunkSize {
		return ChunkHeader{}, nil, Problem{c.Offset, fmt.Sprintf("chunk truncated (%d bytes read): %v", n, err)}
	}
	var problems []Problem
	if !bytes.Equal(data[:8], chunkSignature) {
		return ChunkHeader{}, nil, Problem{c.Offset, "no ElfChnk signature"}
	}
	le := binary.LittleEndian
	var h ChunkHeader
	h.FirstRecordNumber = le.Uint64(data[8:])
	h.LastRecordNumber = le.Uint64(data[16:])
	h.FirstRecordID = le.Uint64(data[24:])
	h.LastRecordID = le.Uint64(data[32:])
	h.HeaderSize = le.Uint32(data[40:])
	h.LastRecordOffset = le.Uint32(data[44:])
	h.FreeSpaceOffset = le.Uint32(data[48:])
	h.RecordsChecksum = le.Uint32(data[52:])
	h.Flags = le.Uint32(data[120:])
	h.HeaderChecksum = le.Uint32(data[124:])
	crc := crc32.Update(crc32.ChecksumIEEE(data[:120]), crc32.IEEETable, data[128:chunkHeaderSize])
	h.HeaderChecksumOK = crc == h.HeaderChecksum
	if !h.HeaderChecksumOK {
		problems = append(problems, Problem{c.Offset + 124, fmt.Sprintf("chunk header checksum mismatch (stored 0x%08x, computed 0x%08x)", h.HeaderChecksum, crc)})
	}
	end := h.FreeSpaceOffset
	if end < chunkHeaderSize || end > chunkSize {
		problems = append(problems, Problem{c.Offset + 48, fmt.Sprintf("free space offset %d out of range", end)})
	} else {
		crc := crc32.ChecksumIEEE(data[chunkHeaderSize:end])
		h.RecordsChecksumOK = crc == h.RecordsChecksum
		if !h.RecordsChecksumOK {
			problems = append(problems, Problem{c.Offset + 52, fmt.Sprintf("event records checksum mismatch (stored 0x%08x, computed 0x%08x)", h.RecordsChecksum, crc)})
		}
	}
	return h, problems, nil
}

// recordsEnd is where the chunk's records end.
func (h ChunkHeader) recordsEnd() int {
	end := int(h.FreeSpaceOffset)
	if end < chunkHeaderSize || end > chunkSize {
		end = chunkSize
	}
	return end
}
