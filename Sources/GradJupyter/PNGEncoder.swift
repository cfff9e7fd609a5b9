/// A minimal PNG writer (8-bit RGBA, zlib "stored" blocks): enough for the kernelspec's logos
/// without an image library or a binary file in the repository.
enum PNGEncoder {
    /// `rgba` holds `width * height * 4` bytes, rows top to bottom.
    static func encode(width: Int, height: Int, rgba: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && rgba.count == width * height * 4, "pixel buffer does not match the size")
        var scanlines: [UInt8] = []
        scanlines.reserveCapacity(height * (width * 4 + 1))
        for row in 0..<height {
            scanlines.append(0)  // filter type None
            scanlines.append(contentsOf: rgba[(row * width * 4)..<((row + 1) * width * 4)])
        }
        var header: [UInt8] = []
        header.append(contentsOf: bigEndian(UInt32(width)))
        header.append(contentsOf: bigEndian(UInt32(height)))
        header.append(contentsOf: [8, 6, 0, 0, 0])  // bit depth 8, colour type RGBA, deflate, no filter, no interlace

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png.append(contentsOf: chunk("IHDR", header))
        png.append(contentsOf: chunk("IDAT", zlibStored(scanlines)))
        png.append(contentsOf: chunk("IEND", []))
        return png
    }

    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let isLast = offset + length == data.count
            output.append(isLast ? 1 : 0)
            output.append(UInt8(length & 0xFF))
            output.append(UInt8(length >> 8))
            output.append(UInt8(~length & 0xFF))
            output.append(UInt8((~length >> 8) & 0xFF))
            output.append(contentsOf: data[offset..<(offset + length)])
            offset += length
        } while offset < data.count
        output.append(contentsOf: bigEndian(adler32(data)))
        return output
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var output = bigEndian(UInt32(data.count))
        output.append(contentsOf: typeBytes)
        output.append(contentsOf: data)
        output.append(contentsOf: bigEndian(crc32(typeBytes + data)))
        return output
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
